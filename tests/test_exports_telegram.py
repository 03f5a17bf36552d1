"""Telegram readers: JSON (single chat and whole account, streamed) and the HTML pages."""

from __future__ import annotations

import io
import json
import tracemalloc
from pathlib import Path

import pytest

from tokenscam.errors import BadRecord, InputError
from tokenscam.exports.base import ChatMessage, ReadOptions, Skipped, decode_head
from tokenscam.exports.telegram import (
    READERS,
    EscapeFixingReader,
    TelegramHtmlReader,
    TelegramJsonReader,
)

FIXTURES = Path(__file__).parent / "fixtures"
EXPORTS = FIXTURES / "exports"
JSON_DIR = EXPORTS / "telegram-json"
HTML_DIR = EXPORTS / "telegram-html"
REAL = Path("/work/shared/data/exports-real")

JSON_READER = TelegramJsonReader()
HTML_READER = TelegramHtmlReader()
SHANGHAI = ReadOptions()


def read(reader, path: Path, options: ReadOptions = SHANGHAI) -> list:
    return list(reader.read(path, options))


def brief(item) -> tuple:
    """An item as a tuple, so whole files can be compared exactly."""
    if isinstance(item, ChatMessage):
        return (
            "msg",
            item.chat,
            item.message_id,
            item.sender_id,
            item.sender,
            item.timestamp,
            item.text,
            item.urls,
            item.location,
        )
    if isinstance(item, Skipped):
        return ("skip", item.kind, item.location)
    assert isinstance(item, BadRecord)
    return ("bad", item.line)


def counts(items: list) -> tuple[int, int, int]:
    return (
        sum(isinstance(i, ChatMessage) for i in items),
        sum(isinstance(i, Skipped) for i in items),
        sum(isinstance(i, BadRecord) for i in items),
    )


# --- the \xHH filter ----------------------------------------------------------------------------


class ChunkedRaw:
    """A raw stream that returns exactly the chunks it was given, whatever size is asked for."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = list(chunks)

    def read(self, size: int = -1) -> bytes:
        return self.chunks.pop(0) if self.chunks else b""


def drain(stream: EscapeFixingReader) -> bytes:
    out = b""
    while block := stream.read():
        out += block
    return out


def test_escape_split_across_two_reads() -> None:
    stream = EscapeFixingReader(ChunkedRaw([b'{"t": "a\\', b'x07b"}']))
    fixed = drain(stream)
    assert fixed == b'{"t": "a\\u0007b"}'
    assert json.loads(fixed) == {"t": "a\x07b"}
    assert stream.bytes_read == len(b'{"t": "a\\x07b"}')


@pytest.mark.parametrize(
    "chunks",
    [[b'"\\x', b'1F"'], [b'"\\x1', b'F"'], [b'"\\', b"x", b"1", b'F"'], [b'"', b"\\x1F", b'"']],
)
def test_escape_split_anywhere(chunks: list[bytes]) -> None:
    assert drain(EscapeFixingReader(ChunkedRaw(chunks))) == b'"\\u001F"'


def test_escaped_backslash_before_x_is_left_alone() -> None:
    # "\\x41" is an escaped backslash then "x41"; "\\\x41" is an escaped backslash then \x41.
    raw = b'["\\\\x41", "\\\\\\x41", "\\x41"]'
    for size in range(1, len(raw) + 1):
        fixed = drain(EscapeFixingReader(io.BytesIO(raw), block_size=size))
        assert fixed == b'["\\\\x41", "\\\\\\u0041", "\\u0041"]', size
    assert json.loads(fixed) == ["\\x41", "\\A", "A"]


def test_filter_transcodes_gb18030_and_replaces_bad_utf8() -> None:
    gb = '{"t": "囤币"}'.encode("gb18030")
    assert drain(EscapeFixingReader(io.BytesIO(gb), "gb18030")) == '{"t": "囤币"}'.encode()
    broken = b'{"t": "ok \xff"}'
    assert json.loads(drain(EscapeFixingReader(io.BytesIO(broken)))) == {"t": "ok \ufffd"}


# --- JSON: single chat --------------------------------------------------------------------------

CHAT = "币圈互助群"
SINGLE_CHAT = [
    ("skip", "system", "single_chat.json:6"),
    (
        "msg",
        CHAT,
        "102",
        "user5550001",
        "群主小王",
        "2024-05-01T09:31:00+08:00",
        "欢迎各位，今天行情不错",
        [],
        "single_chat.json:21",
    ),
    (
        "msg",
        CHAT,
        "103",
        "user5550002",
        "Token导师阿杰",
        "2024-05-01T09:33:05+08:00",
        "现在囤词元稳赚不赔，点这里上车，或者看官网 https://tokens.example 名额有限",
        ["https://tokens.example/join?ref=88", "https://tokens.example"],
        "single_chat.json:36",
    ),
    (
        "msg",
        CHAT,
        "104",
        "user5550002",
        "Token导师阿杰",
        "2024-05-01T09:35:02+08:00",
        "第一步：注册账号\n第二步：充值 USDT\n\n第三步：等着翻三倍",
        [],
        "single_chat.json:89",
    ),
    ("skip", "media", "single_chat.json:104"),
    (
        "msg",
        CHAT,
        "106",
        "user5550002",
        "Token导师阿杰",
        "2024-05-01T09:39:15+08:00",
        "收益截图，自己看",  # photo caption; the zero-width space is gone
        [],
        "single_chat.json:117",
    ),
    ("skip", "media", "single_chat.json:135"),  # sticker
    (
        "msg",
        CHAT,
        "108",
        "user5550004",
        "Deleted Account",
        "2024-05-01T09:48:20+08:00",
        "私聊我拿内部价",
        [],
        "single_chat.json:151",
    ),
    (
        "msg",
        CHAT,
        "109",
        "user5550005",
        "空投机器人",
        "2024-05-01T09:50:30+08:00",
        "点击下方按钮领取 500 万 Token",
        ["https://airdrop.example/claim", "https://wallet.example/app"],
        "single_chat.json:166",
    ),
    ("skip", "system", "single_chat.json:206"),  # unsupported
    ("skip", "empty", "single_chat.json:210"),
    (
        "msg",
        CHAT,
        "112",
        "user5550001",
        "群主小王",
        "2024-05-01T09:55:00+08:00",
        "你准备投多少？\n一万以内\n十万以上",
        [],
        "single_chat.json:220",
    ),
    (
        "msg",
        CHAT,
        "113",
        "user5550003",
        "李华",
        "2024-05-01T09:57:00+08:00",
        "警方提醒\x07：内部价拿 Token 是诈骗，路径 C:\\x64 不是转义",
        [],
        "single_chat.json:247",
    ),
    ("skip", "system", "single_chat.json:263"),  # pin_message
    (
        "msg",
        CHAT,
        "115",
        "channel1700000001",
        "币圈快讯",
        "2024-05-01T10:03:20+08:00",
        "BTC 突破新高",
        [],
        "single_chat.json:275",
    ),
]


def test_single_chat_exact() -> None:
    items = read(JSON_READER, JSON_DIR / "single_chat.json")
    assert [brief(i) for i in items] == SINGLE_CHAT
    assert counts(items) == (9, 6, 0)
    assert all(i.source_format == "telegram-json" for i in items if isinstance(i, ChatMessage))
    # every entry of the file came out as exactly one item
    entries = json.loads(
        (JSON_DIR / "single_chat.json").read_text("utf-8").replace("\\x07", "\\u0007")
    )["messages"]
    assert len(items) == len(entries) == 15


@pytest.mark.parametrize("block_size", [1, 2, 3, 7, 64])
def test_tiny_reads_give_the_same_items(block_size: int) -> None:
    """Escapes, UTF-8 sequences and lines cut across reads change nothing."""
    reader = TelegramJsonReader()
    reader.block_size = block_size
    assert [brief(i) for i in read(reader, JSON_DIR / "single_chat.json")] == SINGLE_CHAT


def test_epoch_times_follow_the_chosen_zone() -> None:
    items = read(JSON_READER, JSON_DIR / "single_chat.json", ReadOptions(timezone="UTC"))
    assert items[1].timestamp == "2024-05-01T01:31:00+00:00"
    with pytest.raises(InputError, match="unknown time zone"):
        read(JSON_READER, JSON_DIR / "single_chat.json", ReadOptions(timezone="Mars/Olympus"))


# --- JSON: whole-account export -----------------------------------------------------------------


def test_full_account_export_reads_every_chat() -> None:
    items = read(JSON_READER, JSON_DIR / "full_account.json")
    assert [brief(i) for i in items] == [
        (
            "msg",
            "陈经理",
            "1",
            "user5550200",
            "陈经理",
            "2024-06-01T20:00:00+08:00",
            "兄弟，内部渠道三折拿 Token，要不要？",
            [],
            "full_account.json:43",
        ),
        (
            "msg",
            "陈经理",
            "2",
            "user5550100",
            "审核员",
            "2024-06-01T20:01:00+08:00",
            "不要",
            [],
            "full_account.json:58",
        ),
        ("skip", "system", "full_account.json:73"),
        (
            "msg",
            "5550100",  # saved messages have no name: the chat id stands in
            "7",
            "user5550100",
            "审核员",
            "2024-06-02T08:00:00+08:00",
            "Note to self: report this group",
            [],
            "full_account.json:92",
        ),
        (
            "msg",
            "Airdrop VIP 🚀",  # from left_chats
            "50",
            "user5550300",
            "Crypto Max",
            "2024-06-03T12:00:00+08:00",
            "Send 1 ETH, get 2 back. Guaranteed.",
            [],
            "full_account.json:119",
        ),
        ("skip", "media", "full_account.json:134"),  # voice message
    ]


# --- JSON: encodings, old exports ---------------------------------------------------------------


def test_old_export_with_bom_and_crlf() -> None:
    """Pre-2021 exports: no date_unixtime (local ``date`` in the chosen zone), integer from_id,
    no text_entities; the file re-saved with a BOM and CRLF."""
    raw = (JSON_DIR / "old_bom_crlf.json").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    items = read(JSON_READER, JSON_DIR / "old_bom_crlf.json", ReadOptions(timezone="Europe/Moscow"))
    assert [brief(i) for i in items] == [
        (
            "msg",
            "老群 Old Group",
            "1",
            "4400001",
            "老张",
            "2019-03-01T21:15:00+03:00",
            "明天开会\n别迟到",
            [],
            "old_bom_crlf.json:6",
        ),
        (
            "msg",
            "老群 Old Group",
            "2",
            "4400002",
            "Ivan",
            "2019-03-01T21:16:30+03:00",
            "Check this",
            ["http://old.example/x"],
            "old_bom_crlf.json:14",
        ),
        ("skip", "system", "old_bom_crlf.json:29"),
    ]


def test_gb18030_resaved_export() -> None:
    raw = (JSON_DIR / "resaved_gb18030.json").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    items = read(JSON_READER, JSON_DIR / "resaved_gb18030.json")
    assert [brief(i) for i in items] == [
        (
            "msg",
            "理财交流",
            "9",
            "user6660001",
            "周老师",
            "2024-07-01T10:00:00+08:00",
            "跟着老师买币，月入十万不是梦",
            [],
            "resaved_gb18030.json:6",
        ),
        (
            "msg",
            "理财交流",
            "10",
            "user6660002",
            "小赵",
            "2024-07-01T10:02:00+08:00",
            "真的假的？",
            [],
            "resaved_gb18030.json:21",
        ),
    ]


def test_utf16_export(tmp_path: Path) -> None:
    path = tmp_path / "result.json"
    chat = {
        "name": "UTF-16 群",
        "type": "private_group",
        "id": 3,
        "messages": [{"id": 1, "type": "message", "date_unixtime": "1714527000", "text": "内部价"}],
    }
    path.write_text(json.dumps(chat, ensure_ascii=False, indent=1), encoding="utf-16")
    assert JSON_READER.sniff(head_of(path), path)
    [item] = read(JSON_READER, path)
    assert (item.chat, item.text, item.location) == ("UTF-16 群", "内部价", "result.json:6")


def test_field_variants(tmp_path: Path) -> None:
    """Entities without ``text``, ``from`` missing, channel posts without any sender, integer
    date_unixtime, messages without ids, future message types."""
    messages = [
        {
            "id": 1,
            "type": "message",
            "date_unixtime": 1714527000,
            "from_id": "user1",
            "text_entities": [
                {"type": "plain", "text": "官网 "},
                {"type": "text_link", "text": "here", "href": "https://a.example"},
            ],
        },
        {
            "id": 2,
            "type": "message",
            "date": "2024-05-01T09:31:00",
            "author": "编辑部",
            "text": "频道公告",
        },
        {"type": "message", "date": "2024-05-01T09:32:00", "from": "无名", "text": "no id"},
        {"id": 4, "type": "giveaway_results", "date": "2024-05-01T09:33:00", "text": ""},
        {
            "id": 5,
            "type": "message",
            "date": "2024-05-01T09:34:00",
            "from": "",
            "text": "\r\n旧消息\r\n",
            "text_entities": "garbage",
        },
    ]
    path = tmp_path / "result.json"
    path.write_text(
        json.dumps({"name": "公告频道", "type": "public_channel", "id": 9, "messages": messages})
    )
    items = read(JSON_READER, path)
    assert [brief(i) for i in items] == [
        (
            "msg",
            "公告频道",
            "1",
            "user1",
            "user1",
            "2024-05-01T09:30:00+08:00",
            "官网 here",
            ["https://a.example"],
            "result.json:1",
        ),
        (
            "msg",
            "公告频道",
            "2",
            "编辑部",
            "编辑部",
            "2024-05-01T09:31:00+08:00",
            "频道公告",
            [],
            "result.json:1",
        ),
        (
            "msg",
            "公告频道",
            "1",  # no id: the line stands in
            "无名",
            "无名",
            "2024-05-01T09:32:00+08:00",
            "no id",
            [],
            "result.json:1",
        ),
        ("skip", "system", "result.json:1"),
        (
            "msg",
            "公告频道",
            "5",
            "Deleted Account",
            "Deleted Account",
            "2024-05-01T09:34:00+08:00",
            "旧消息",  # CRLF normalised, outer blank lines trimmed
            [],
            "result.json:1",
        ),
    ]


# --- JSON: malformed files and records ----------------------------------------------------------


def test_malformed_records_are_reported_and_the_rest_read() -> None:
    items = read(JSON_READER, JSON_DIR / "bad_records.json")
    assert [brief(i)[:3] for i in items] == [
        ("msg", "拉盘群", "1"),
        ("bad", 14),
        ("bad", 15),
        ("bad", 23),
        ("msg", "拉盘群", "6"),
    ]
    bad = [i for i in items if isinstance(i, BadRecord)]
    assert bad[0].source.endswith("bad_records.json")
    assert "expected a message object" in bad[0].message
    assert "message 4" in bad[1].message and "'text' has type int" in bad[1].message
    assert "message 5" in bad[2].message and "昨天晚上" in bad[2].message


def test_truncated_file_keeps_what_was_read() -> None:
    items = read(JSON_READER, JSON_DIR / "truncated.json")
    assert [brief(i)[:3] for i in items] == [
        ("msg", "拉盘群", "1"),
        ("msg", "拉盘群", "2"),
        ("bad", 28),
    ]
    message = items[-1].message
    size = (JSON_DIR / "truncated.json").stat().st_size
    assert f"ends unexpectedly at byte {size} (line 28)" in message
    assert "message starting at line 22" in message and "looks cut off" in message
    assert "2 entries before it were read" in message


def test_invalid_json_midway_names_the_line() -> None:
    items = read(JSON_READER, JSON_DIR / "broken_middle.json")
    assert [brief(i)[:3] for i in items] == [
        ("msg", "拉盘群", "1"),
        ("msg", "拉盘群", "2"),
        ("bad", 22),
    ]
    assert "invalid JSON at line 22" in items[-1].message
    assert "expect ',' or ']'" in items[-1].message


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("not_object.json", "expected a JSON object"),
        ("truncated_head.json", "ends unexpectedly at byte 66 .*nothing could be read"),
        ("no_messages.json", "no message list found"),
        ("absent.json", "no such file|No such file"),
    ],
)
def test_unreadable_files_raise(name: str, expected: str) -> None:
    with pytest.raises(InputError, match=expected):
        read(JSON_READER, JSON_DIR / name)


def test_truncation_after_a_newline_names_the_last_line(tmp_path: Path) -> None:
    text = (JSON_DIR / "truncated.json").read_text("utf-8")
    cut = text[: text.index('   "from": "庄家",\n   "from_id": "user7770001",\n   "text": "提')]
    path = tmp_path / "cut.json"
    path.write_text(cut, encoding="utf-8")  # ends with the newline of line 25
    *_, last = read(JSON_READER, path)
    assert brief(last) == ("bad", 25)
    assert f"byte {len(cut.encode())} (line 25)" in last.message


def test_streaming_keeps_memory_flat(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    with path.open("w", encoding="utf-8") as fh:
        fh.write('{\n "name": "大群",\n "type": "private_supergroup",\n "id": 1,\n "messages": [\n')
        for i in range(6000):
            message = {
                "id": i,
                "type": "message",
                "date_unixtime": str(1714527000 + i),
                "from": f"成员{i % 9}",
                "from_id": f"user{i % 9}",
                "text": f"第 {i} 条：今天行情不错，大家注意风险。" * 3,
            }
            fh.write(("  ,\n" if i else "") + json.dumps(message, ensure_ascii=False, indent=1))
        fh.write("\n ]\n}\n")
    size = path.stat().st_size
    tracemalloc.start()
    try:
        n = sum(1 for _ in JSON_READER.read(path, SHANGHAI))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert n == 6000
    assert size > 1_000_000 and peak < size / 3


# --- HTML -----------------------------------------------------------------------------------------

HTML_CHAT = "USDT 搬砖交流群 & 互助"


def test_html_page_exact() -> None:
    items = read(HTML_READER, HTML_DIR / "messages.html")
    assert [brief(i) for i in items] == [
        ("skip", "system", "messages.html:42"),  # the date separators above and below: nothing
        (
            "msg",
            HTML_CHAT,
            "201",
            "王五",
            "王五",
            "2024-05-01T09:30:00+08:00",
            "搬砖套利，一天赚 & 一天赔？\n不存在的！点这里进群",
            ["https://usdt.example/join"],
            "messages.html:50",
        ),
        (
            "msg",
            HTML_CHAT,
            "202",
            "王五",  # a "joined" block continues the previous sender
            "王五",
            "2024-05-01T09:31:10+08:00",  # no offset in the page: the chosen zone
            "稳赚不赔\n每天返利 5%",
            [],
            "messages.html:82",
        ),
        (
            "msg",
            HTML_CHAT,
            "203",
            "Anna",  # "via @bot" is not part of the name
            "Anna",
            "2024-05-01T09:40:00+08:00",
            "Cashback 200% today only",
            ["https://bot.example/pay"],
            "messages.html:98",
        ),
        ("skip", "media", "messages.html:144"),
        (
            "msg",
            HTML_CHAT,
            "205",
            "赵六",  # the forwarder, not the original author
            "赵六",
            "2024-05-01T10:00:00+08:00",
            "转发：官方内部价三折",
            [],
            "messages.html:180",
        ),
        (
            "msg",
            HTML_CHAT,
            "206",
            "赵六",
            "赵六",
            "2024-05-01T10:01:00-03:00",
            "Is this legit?",
            [],
            "messages.html:220",
        ),
        (
            "msg",
            HTML_CHAT,
            "207",
            "王五",
            "王五",
            "2024-05-01T10:05:00+08:00",
            "你投了吗？\n投了\n还没",
            [],
            "messages.html:240",
        ),
        ("skip", "empty", "messages.html:280"),
        ("bad", 300),
    ]
    assert "unreadable date 'yesterday'" in items[-1].message


def test_html_truncated_page() -> None:
    items = read(HTML_READER, HTML_DIR / "messages2_truncated.html")
    assert counts(items) == (4, 2, 1)
    assert brief(items[-1]) == ("bad", 220)
    assert "ends inside message 206" in items[-1].message


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("<html><body><p>hello</p></body></html>\n", "no Telegram message blocks"),
        (None, "no such file|No such file"),
    ],
)
def test_html_unreadable(tmp_path: Path, content: str | None, expected: str) -> None:
    path = tmp_path / "messages.html"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=expected):
        read(HTML_READER, path)


# --- sniffing -----------------------------------------------------------------------------------

JSON_GOOD = [
    "single_chat.json",
    "full_account.json",
    "old_bom_crlf.json",
    "resaved_gb18030.json",
    "bad_records.json",
    "broken_middle.json",
    "truncated.json",
]


def head_of(path: Path) -> str:
    return decode_head(path)[0]


@pytest.mark.parametrize("name", JSON_GOOD)
def test_json_fixtures_are_sniffed(name: str) -> None:
    path = JSON_DIR / name
    assert JSON_READER.sniff(head_of(path), path)
    assert not HTML_READER.sniff(head_of(path), path)


@pytest.mark.parametrize("name", ["messages.html", "messages2_truncated.html"])
def test_html_fixtures_are_sniffed(name: str) -> None:
    path = HTML_DIR / name
    assert HTML_READER.sniff(head_of(path), path)
    assert not JSON_READER.sniff(head_of(path), path)


def other_fixtures() -> list[Path]:
    ours = {JSON_DIR, HTML_DIR}
    found = [p for p in sorted(EXPORTS.rglob("*")) if p.is_file() and not ours & set(p.parents)]
    return found + [FIXTURES / f"messages.{ext}" for ext in ("jsonl", "csv", "txt")]


def test_sniffers_reject_other_formats() -> None:
    others = other_fixtures()
    assert len(others) >= 3
    for path in others:
        try:
            head = head_of(path)
        except InputError:
            continue  # binary or empty: nobody's sniffer sees it
        for reader in READERS:
            assert not reader.sniff(head, path), f"{reader.name} claims {path}"


@pytest.mark.parametrize(
    "head",
    [
        '{"guild": {"id": "1"}, "channel": {"id": "2"}, "messages": [{"id": "3"}]}',
        '{"name": "export", "messages": [{"id": 1, "content": "hi", "author": "x"}]}',
        '{"metadata": {"name": "QQChatExporter"}, "chatInfo": {}, "messages": []}',
        '[{"type": "message", "user": "U1", "text": "hi", "ts": "1.0"}]',
        '{"about": "Our company", "chats": []}',
        '{"chats": {"list": [{"name": "x", "messages": [{"text": "t"}]}]}}',
    ],
)
def test_json_sniffer_rejects_lookalikes(head: str) -> None:
    assert not JSON_READER.sniff(head, Path("result.json"))


def test_registry_detects_our_fixtures() -> None:
    from tokenscam.exports import registry

    for name in JSON_GOOD:
        assert registry.detect(JSON_DIR / name).name == "telegram-json", name
    assert registry.detect(HTML_DIR / "messages.html").name == "telegram-html"


# --- real exports written by others -------------------------------------------------------------


def real_files(fmt: str) -> list[tuple[Path, dict]]:
    if not REAL.is_dir():
        pytest.skip("no real export samples on this machine")
    index = json.loads((REAL / "INDEX.json").read_text("utf-8"))
    entries = index if isinstance(index, list) else index.get("files", [])
    found = [(REAL / e["file"], e) for e in entries if e["format"] == fmt]
    assert found, f"INDEX.json lists no {fmt} files"
    return found


def test_real_telegram_json_files() -> None:
    for path, entry in real_files("telegram-json"):
        assert JSON_READER.sniff(head_of(path), path), path
        items = read(JSON_READER, path)
        assert len(items) == entry["messages"], path
        assert counts(items)[2] == 0, path
    dm = read(JSON_READER, REAL / "telegram-json" / "chatanalytics_DM_2A_7M.json")
    assert counts(dm) == (4, 4, 0)  # 2 service + 2 photos without caption
    link = dm[1]
    assert (link.sender_id, link.sender, link.urls) == (
        "user700000000",
        "Bob",
        ["https://google.com"],
    )
    assert link.timestamp == "2019-07-12T16:55:32+08:00"  # only "date": local time
    assert dm[3].timestamp == "2022-05-10T06:23:53+08:00"  # only "date_unixtime"


def test_real_telegram_html_file() -> None:
    for path, entry in real_files("telegram-html"):
        assert HTML_READER.sniff(head_of(path), path), path
        items = read(HTML_READER, path)
        assert len(items) == entry["messages"], path
        assert counts(items) == (entry["messages"], 0, 0)
        assert {i.sender for i in items} == {"🛡 Cybersecurity & Privacy news 🛡"}
        assert all(i.urls and i.urls[0].startswith("https://") for i in items)

"""QQ export readers: message-manager TXT, QQChatExporter JSON (single / chunked) and TXT.

The fixtures under tests/fixtures/exports/{qq-txt,qq-chat-exporter-json,qq-chat-exporter-txt}
are invented chats. Every entry of every file is checked, so messages / skipped / bad counts are
exact. The one real QQ sample in /work/shared/data/exports-real is read in place when present.
"""

from __future__ import annotations

import json
import tracemalloc
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tokenscam.errors import BadRecord, InputError
from tokenscam.exports.base import ChatMessage, ReadOptions, Skipped, decode_head
from tokenscam.exports.qq import READERS, QCEJsonReader, QCETxtReader, QQTxtReader, _parse_sender

EXPORTS = Path(__file__).parent / "fixtures" / "exports"
PLAIN = [Path(__file__).parent / "fixtures" / f"messages.{ext}" for ext in ("jsonl", "csv", "txt")]
REAL = Path("/work/shared/data/exports-real")
QQ_TXT = EXPORTS / "qq-txt"
QCE_JSON = EXPORTS / "qq-chat-exporter-json"
QCE_TXT = EXPORTS / "qq-chat-exporter-txt"
OURS = (QQ_TXT, QCE_JSON, QCE_TXT)

TXT = QQTxtReader()
QCE = QCEJsonReader()
QTXT = QCETxtReader()


def _read(reader: Any, path: Path, **options: Any) -> list[Any]:
    return list(reader.read(path, ReadOptions(**options)))


def _simple(item: Any) -> tuple[Any, ...]:
    """An item as a comparable tuple: a message with what matters, a skip with its kind and
    location, a bad record with its line."""
    if isinstance(item, ChatMessage):
        return ("msg", item.location, item.sender_id, item.sender, item.timestamp, item.text)
    if isinstance(item, Skipped):
        return ("skip", item.kind, item.location)
    assert isinstance(item, BadRecord), item
    return ("bad", item.line)


def _counts(items: list[Any]) -> Counter[str]:
    return Counter(type(i).__name__ for i in items)


# --- qq-txt ----------------------------------------------------------------------------------


def test_classic_export_utf8_bom_crlf_every_entry() -> None:
    path = QQ_TXT / "classic_bom_crlf.txt"
    assert path.read_bytes().startswith(b"\xef\xbb\xbf") and b"\r\n" in path.read_bytes()
    items = _read(TXT, path)
    f = "classic_bom_crlf.txt"
    assert [_simple(i) for i in items] == [
        (
            "msg",
            f"{f}:9",
            "20240301",
            "财富导师阿杰",
            "2024-03-01T09:05:12+08:00",
            "欢迎新朋友！本群每天分享Token内部价\n名额有限，先到先得",
        ),
        ("msg", f"{f}:13", "88886666", "小白兔", "2024-03-01T09:06:40+08:00", "请问怎么参与？"),
        (
            "msg",
            f"{f}:16",
            "kefu_xm@example.com",
            "客服小美",
            "2024-03-01T09:07:03+08:00",
            "私聊我领取白名单",
        ),
        ("skip", "media", f"{f}:19"),  # [图片]
        ("skip", "system", f"{f}:22"),  # 系统消息(10000)
        ("skip", "system", f"{f}:25"),  # 撤回了一条消息
        (
            "msg",
            f"{f}:28",
            "20240301",
            "财富导师阿杰",
            "2024-03-01T09:10:00+08:00",
            # a blank line inside the body, and a quoted header whose time goes backwards
            "第一步：下载钱包\n第二步：转入USDT\n\n"
            "第三步：联系客服，链接 https://fake-token.example/join\n"
            "2023-12-31 23:59:59 去年的价格(12345678)\n上面这行只是引用的旧消息",
        ),
        ("skip", "empty", f"{f}:36"),
        (
            "msg",
            f"{f}:38",
            "kefu_xm@example.com",
            "客服小美",
            "2024-03-01T09:13:00+08:00",
            "看这里马上涨",
        ),
        # second 消息分组/消息对象 block: a new chat whose times are earlier than the first's
        ("msg", f"{f}:47", "55667788", "王五", "2024-02-10T20:00:00+08:00", "新年快乐！\n明年见"),
        ("skip", "media", f"{f}:51"),
    ]
    chats = [i.chat for i in items if isinstance(i, ChatMessage)]
    assert chats == ["链上财富交流群"] * 5 + ["老同学王五"]
    assert all(
        i.source_format == "qq-txt" and i.urls == [] for i in items if isinstance(i, ChatMessage)
    )
    assert [i.message_id for i in items if isinstance(i, ChatMessage)] == [
        "9",
        "13",
        "16",
        "28",
        "38",
        "47",
    ]


def test_gb18030_discussion_group_with_bare_nicknames_and_fullwidth_colons() -> None:
    path = QQ_TXT / "discussion_gb18030.txt"
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    items = _read(TXT, path)
    f = "discussion_gb18030.txt"
    assert [_simple(i) for i in items] == [
        ("msg", f"{f}:9", "阿强", "阿强", "2023-10-07T08:00:00+08:00", "明天早上七点集合"),
        ("msg", f"{f}:12", "小雨", "小雨", "2023-10-07T08:01:15+08:00", "好的，记得带水"),
        ("skip", "media", f"{f}:15"),  # [图片]对方已成功接收了你发送的离线文件
        (
            "msg",
            f"{f}:18",
            "老周",
            "老周",
            "2023-10-07T08:03:00+08:00",
            "有人推荐我买一种币，说稳赚不赔，靠谱吗？",
        ),
    ]
    assert {i.chat for i in items if isinstance(i, ChatMessage)} == {"周末爬山小分队"}


def test_utf16_export_with_12_hour_times_and_email_senders() -> None:
    path = QQ_TXT / "twelve_hour_utf16.txt"
    assert path.read_bytes().startswith(b"\xff\xfe")
    items = _read(TXT, path)
    assert [(i.sender_id, i.sender, i.timestamp) for i in items] == [
        ("tom.lee@example.org", "Tom Lee", "2019-09-23T20:43:38+08:00"),  # 8 PM
        ("31415926", "小林", "2019-09-24T00:05:01+08:00"),  # 12 AM is midnight
        ("tom.lee@example.org", "Tom Lee", "2019-09-24T12:30:00+08:00"),  # 12 PM is noon
    ]
    assert items[2].text == "Guaranteed 30% monthly return, only today!"
    assert {i.chat for i in items} == {"Investment Buddy"}


def test_local_times_are_placed_in_the_requested_time_zone() -> None:
    items = _read(TXT, QQ_TXT / "twelve_hour_utf16.txt", timezone="Europe/Berlin")
    assert [i.timestamp for i in items] == [
        "2019-09-23T20:43:38+02:00",
        "2019-09-24T00:05:01+02:00",
        "2019-09-24T12:30:00+02:00",
    ]
    with pytest.raises(InputError, match="time zone"):
        _read(TXT, QQ_TXT / "twelve_hour_utf16.txt", timezone="Mars/Olympus")


def test_excerpt_without_banner_uses_the_file_name_as_chat() -> None:
    items = _read(TXT, QQ_TXT / "excerpt_no_banner.txt")
    assert [_simple(i) for i in items] == [
        (
            "msg",
            "excerpt_no_banner.txt:1",
            "66668888",
            "投资顾问Lily",
            "2024-05-20T10:00:00+08:00",
            "老师带单，日收益5%",
        ),
        (
            "msg",
            "excerpt_no_banner.txt:4",
            "12312312",
            "路人甲",
            "2024-05-20T10:00:30+08:00",
            "真的假的",
        ),
    ]
    assert {i.chat for i in items} == {"excerpt_no_banner"}
    assert {i.chat for i in _read(TXT, QQ_TXT / "excerpt_no_banner.txt", chat="投资群")} == {
        "投资群"
    }


def test_malformed_entries_are_reported_and_the_rest_is_read() -> None:
    path = QQ_TXT / "malformed.txt"
    items = _read(TXT, path)
    assert [_simple(i) for i in items] == [
        ("bad", 9),  # text before any header
        ("bad", 12),  # 2024-02-30
        ("bad", 15),  # hour 25
        (
            "msg",
            "malformed.txt:18",
            "33334444",
            "正常人",
            "2024-03-01T10:00:00+08:00",
            "这条是好的",
        ),
    ]
    bad = [i for i in items if isinstance(i, BadRecord)]
    assert all(b.source == str(path) for b in bad)
    assert "expected a 'YYYY-MM-DD H:MM:SS sender' header line" in bad[0].message
    assert "day is out of range" in bad[1].message
    assert "hour" in bad[2].message


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("小明(100001)", ("100001", "小明")),
        ("小白兔 (88886666)", ("88886666", "小白兔")),
        ("名字(带(嵌套)括号) (0012345)", ("0012345", "名字(带(嵌套)括号)")),
        ("【群主】【活跃】阿杰(20240301)", ("20240301", "阿杰")),
        ("客服<kefu@example.com>", ("kefu@example.com", "客服")),
        ("阿强", ("阿强", "阿强")),
        ("小号(2)", ("小号(2)", "小号(2)")),  # not a QQ number: part of a bare nickname
        ("【管理员】(10086123)", ("10086123", "【管理员】")),
    ],
)
def test_sender_forms(header: str, expected: tuple[str, str]) -> None:
    assert _parse_sender(header) == expected


def _write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_separator_and_meta_lines_inside_a_body_stay_text(tmp_path: Path) -> None:
    """Only a 消息分组/消息对象 line between two ==== lines is structure, even without blank
    lines around it (the chatlab-style footer); anything else there is message text — so is a
    time-stamped line without an id where every sender so far had one."""
    sep = "=" * 32
    path = _write(
        tmp_path,
        "odd.txt",
        "2024-01-01 10:00:00 甲(11111111)\n"
        "分割线下面是重点\n==========\n消息对象:不是新的聊天\n收益翻倍\n"
        "2024-01-01 10:00:30 开会，不是发言人\n\n"
        "2024-01-01 10:01:00 乙(22222222)\n好\n"
        f"{sep}\n消息对象:新群\n{sep}\n"
        "2024-01-01 09:00:00 丙(33333333)\n新群的第一条\n",
    )
    items = _read(TXT, path)
    assert [(i.chat, i.text) for i in items] == [
        (
            "odd",
            "分割线下面是重点\n==========\n消息对象:不是新的聊天\n收益翻倍\n"
            "2024-01-01 10:00:30 开会，不是发言人",
        ),
        ("odd", "好"),
        ("新群", "新群的第一条"),
    ]


def test_lone_cr_line_ends_and_a_later_header_in_a_body(tmp_path: Path) -> None:
    """Old Mac line ends; a header-like line whose time moves forward starts a message."""
    path = _write(
        tmp_path,
        "cr.txt",
        "2024-01-01 10:00:00 甲(11111111)\r第一行\r2024-01-01 10:00:05 乙(22222222)\r第二条\r",
    )
    assert [(i.sender, i.text) for i in _read(TXT, path)] == [("甲", "第一行"), ("乙", "第二条")]


def test_24_hour_time_with_am_like_nickname(tmp_path: Path) -> None:
    path = _write(tmp_path, "am.txt", "2024-01-01 18:00:00 AM 小王(12345678)\n晚上好\n")
    [item] = _read(TXT, path)
    assert (item.sender, item.timestamp) == ("AM 小王", "2024-01-01T18:00:00+08:00")


def test_chinese_am_pm_markers(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "cn12.txt",
        "2024-01-01 上午 9:00:00 甲(11111111)\n早\n\n2024-01-01 下午 1:30:00 乙(22222222)\n午安\n",
    )
    assert [i.timestamp for i in _read(TXT, path)] == [
        "2024-01-01T09:00:00+08:00",
        "2024-01-01T13:30:00+08:00",
    ]


def test_many_blocks_stream_one_message_at_a_time(tmp_path: Path) -> None:
    """Many blocks and messages: each item comes out as soon as its message ends."""
    sep = "=" * 64
    parts = ["消息记录（此消息记录为文本格式，不支持重新导入）\n"]
    for block in range(20):
        parts.append(f"\n{sep}\n消息分组:我的好友\n{sep}\n消息对象:好友{block}\n{sep}\n\n")
        for n in range(200):
            parts.append(f"2024-01-01 {n // 60 + 8}:{n % 60:02d}:00 好友{block}({20000 + block})\n")
            parts.append(f"消息{n}\n\n")
    path = _write(tmp_path, "all.txt", "".join(parts))
    reader = TXT.read(path, ReadOptions())
    first = next(reader)
    assert (first.chat, first.text) == ("好友0", "消息0")
    rest = list(reader)
    assert len(rest) == 20 * 200 - 1
    assert all(isinstance(i, ChatMessage) for i in rest)
    assert rest[-1].chat == "好友19" and rest[-1].text == "消息199"


# --- qq-chat-exporter-json --------------------------------------------------------------------


def test_qce_group_json_every_entry() -> None:
    items = _read(QCE, QCE_JSON / "group_chat.json")
    f = "group_chat.json"
    assert [_simple(i) for i in items] == [
        (
            "msg",
            f"{f}:6",
            "20240301",
            "财富导师阿杰",
            "2024-05-01T09:30:00+08:00",
            "@小白兔 今晚八点开盘，Token内部价三折",
        ),
        ("skip", "media", f"{f}:43"),  # image (its download URL is not a shared link)
        ("skip", "media", f"{f}:82"),  # face only
        ("skip", "system", f"{f}:111"),  # recalled
        ("skip", "system", f"{f}:140"),  # system: joined
        # reply: own text, then the quoted text from the reply element
        (
            "msg",
            f"{f}:168",
            "88886666",
            "小白兔",
            "2024-05-01T09:31:30+08:00",
            "我也想上车\n老师带单日赚5%",
        ),
        # ark card: prompt and description are text, the jump URL is a hidden link
        (
            "msg",
            f"{f}:204",
            "20240301",
            "财富导师阿杰",
            "2024-05-01T09:32:00+08:00",
            "[分享]Token内部认购通道\n限时三折，先到先得",
        ),
        # forward: its summary
        (
            "msg",
            f"{f}:233",
            "20240301",
            "财富导师阿杰",
            "2024-05-01T09:32:30+08:00",
            "阿杰：内部价三折\n阿杰：私聊上车",
        ),
        # no content.text and no uin: text elements joined, QQNT uid as id
        ("msg", f"{f}:263", "u_anonXYZ", "匿名用户", "2024-05-01T09:33:00+08:00", "这是拉人头吧？"),
        # V4 field names, epoch in seconds
        ("msg", f"{f}:297", "77778888", "老韭菜", "2024-05-01T09:33:30+08:00", "还能回本吗"),
        ("msg", f"{f}:307", "88886666", "小白兔", "2024-05-01T09:34:00+08:00", "看这张K线图"),
        ("skip", "empty", f"{f}:341"),
    ]
    messages = [i for i in items if isinstance(i, ChatMessage)]
    assert [m.urls for m in messages] == [
        [],
        [],
        ["https://presale.example.net/t?id=42"],
        [],
        [],
        [],
        [],
    ]
    assert {m.chat for m in messages} == {"币圈暴富交流群"}
    assert {m.source_format for m in messages} == {"qq-chat-exporter-json"}
    assert [m.message_id for m in messages][:2] == ["7360000000000000001", "7360000000000000006"]
    assert messages[5].message_id == "legacy-10"


def test_qce_private_json_with_bom_crlf_and_local_time_only() -> None:
    path = QCE_JSON / "private_bom_crlf.json"
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    items = _read(QCE, path)
    assert [_simple(i) for i in items] == [
        (
            "msg",
            "private_bom_crlf.json:6",
            "55667788",
            "王五",
            "2024-05-01T09:30:00+08:00",
            "最近有个项目，年化200%，要不要一起？",
        ),
        (
            "msg",
            "private_bom_crlf.json:34",
            "10001",
            "我",
            "2024-05-01T09:31:00+08:00",
            "不了，谢谢",
        ),
    ]
    assert {i.chat for i in items} == {"王五"}
    # epoch timestamps are shown in the requested zone; local-only times are placed in it
    shifted = _read(QCE, path, timezone="UTC")
    assert [i.timestamp for i in shifted] == [
        "2024-05-01T01:30:00+00:00",
        "2024-05-01T09:31:00+00:00",
    ]


def test_qce_truncated_json_reads_what_is_complete_then_says_where_it_broke() -> None:
    path = QCE_JSON / "truncated.json"
    reader = QCE.read(path, ReadOptions())
    got = [next(reader), next(reader)]
    assert [_simple(i)[:2] for i in got] == [
        ("msg", "truncated.json:6"),
        ("skip", "media"),
    ]
    with pytest.raises(InputError) as info:
        next(reader)
    message = str(info.value)
    size = path.stat().st_size
    assert str(path) in message
    assert "ends unexpectedly at line 84" in message and f"byte {size}" in message
    assert "'messages' array" in message and "Messages read before it: 2." in message


def test_qce_syntax_error_names_the_line_and_byte(tmp_path: Path) -> None:
    path = tmp_path / "comma.json"
    text = (
        '{"metadata": {"name": "QQChatExporter"},\n"chatInfo": {"name": "群"},\n"messages": [\n'
        '  {"id": "1", "timestamp": 1714527000000, "sender": {"uin": "10002", "name": "甲"},'
        ' "content": {"text": "你好", "elements": []}}\n'
        '  {"id": "2"}\n]}\n'
    )
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    reader = QCE.read(path, ReadOptions())
    assert next(reader).text == "你好"
    with pytest.raises(InputError) as info:
        next(reader)
    line5 = 3 + len("\n".join(text.split("\n")[:4]).encode("utf-8")) + 1
    assert f"invalid JSON in line 5, which starts at byte {line5}" in str(info.value)
    assert "I expect ',' or ']'" in str(info.value)
    assert "Messages read before it: 1." in str(info.value)


def test_qce_bad_records_are_reported_and_the_rest_is_read() -> None:
    path = QCE_JSON / "bad_records.json"
    items = _read(QCE, path)
    assert [_simple(i) for i in items] == [
        ("bad", 6),
        ("bad", 7),
        ("bad", 23),
        # timestamp unreadable but the local "time" is fine
        (
            "msg",
            "bad_records.json:44",
            "88886666",
            "小白兔",
            "2024-05-01T09:30:25+08:00",
            "时间戳坏了但本地时间还在",
        ),
        ("bad", 65),
        (
            "msg",
            "bad_records.json:85",
            "88886666",
            "小白兔",
            "2024-05-01T09:30:40+08:00",
            "最后一条是好的",
        ),
    ]
    messages = [i.message for i in items if isinstance(i, BadRecord)]
    assert messages == [
        "message 1: expected a message object, got int",
        "message 2: 'sender' is a str, not an object",
        "message 3: cannot read the time '昨天'",
        "message 5: 'content' is a list, not an object",
    ]


def test_qce_json_without_messages_is_an_input_error() -> None:
    with pytest.raises(InputError, match="without a 'messages' array"):
        _read(QCE, QCE_JSON / "no_messages.json")


def test_qce_json_in_utf16_and_minified(tmp_path: Path) -> None:
    text = (QCE_JSON / "group_chat.json").read_text(encoding="utf-8")
    utf16 = tmp_path / "utf16.json"
    utf16.write_bytes(text.encode("utf-16"))
    same = [_simple(i) for i in _read(QCE, QCE_JSON / "group_chat.json")]
    assert [_simple(i) for i in _read(QCE, utf16)] == [
        tuple(str(v).replace("group_chat.json", "utf16.json") for v in t) for t in same
    ]

    minified = tmp_path / "min.json"
    minified.write_text(json.dumps(json.loads(text), ensure_ascii=False), encoding="utf-8")
    items = _read(QCE, minified)
    assert [i.location for i in items] == ["min.json:1"] * 12
    assert [getattr(i, "text", None) for i in items] == [
        getattr(i, "text", None) for i in _read(QCE, QCE_JSON / "group_chat.json")
    ]


def test_qce_json_with_a_huge_avatar_line(tmp_path: Path) -> None:
    """Avatars are base64 on one line at the end: read in pieces, never as one string."""
    text = (QCE_JSON / "group_chat.json").read_text(encoding="utf-8")
    head = text[: text.rindex('"avatars"')]
    path = tmp_path / "big.json"
    path.write_text(head + '"avatars": {"1": "' + "A" * 3_000_000 + '"}}\n', encoding="utf-8")
    assert _counts(_read(QCE, path)) == Counter({"ChatMessage": 7, "Skipped": 5})


def test_qce_chunked_manifest_reads_every_chunk() -> None:
    items = _read(QCE, QCE_JSON / "chunked" / "manifest.json")
    assert [_simple(i) for i in items] == [
        (
            "msg",
            "chunk_0001.jsonl:1",
            "20240301",
            "财富导师阿杰",
            "2024-05-01T09:30:00+08:00",
            "@小白兔 今晚八点开盘，Token内部价三折",
        ),
        ("skip", "media", "chunk_0001.jsonl:2"),
        (
            "msg",
            "chunk_0002.jsonl:1",
            "88886666",
            "小白兔",
            "2024-05-01T09:31:30+08:00",
            "我也想上车\n老师带单日赚5%",
        ),
        ("bad", 2),
    ]
    assert items[-1].source.endswith("chunk_0002.jsonl")
    assert "not valid JSON" in items[-1].message
    assert {i.chat for i in items if isinstance(i, ChatMessage)} == {"币圈暴富交流群"}


def test_qce_chunked_manifest_with_a_missing_chunk() -> None:
    items = _read(QCE, QCE_JSON / "chunked" / "manifest_missing_chunk.json")
    assert _counts(items) == Counter({"ChatMessage": 2, "Skipped": 1, "BadRecord": 2})
    assert "chunk 3 'chunk_0003.jsonl' is missing" in items[-1].message


def test_qce_single_chunk_takes_the_chat_name_from_its_manifest(tmp_path: Path) -> None:
    chunk = QCE_JSON / "chunked" / "chunks" / "chunk_0001.jsonl"
    items = _read(QCE, chunk)
    assert [i.chat for i in items if isinstance(i, ChatMessage)] == ["币圈暴富交流群"]
    alone = tmp_path / "chunk_0001.jsonl"
    alone.write_bytes(chunk.read_bytes())
    assert [i.chat for i in _read(QCE, alone) if isinstance(i, ChatMessage)] == ["chunk_0001"]


# --- qq-chat-exporter-txt ---------------------------------------------------------------------


def test_qce_txt_every_entry() -> None:
    items = _read(QTXT, QCE_TXT / "group_export.txt")
    f = "group_export.txt"
    assert [_simple(i) for i in items] == [
        (
            "msg",
            f"{f}:12",
            "财富导师阿杰",
            "财富导师阿杰",
            "2024-05-01T09:30:00+08:00",
            # "name:" + "时间:" lines whose time is not a time are text, not a new message
            "今晚八点开盘，内部价三折\n会议安排:\n时间: 今晚八点\n内容: 只讲一次",
        ),
        ("skip", "media", f"{f}:19"),
        ("skip", "system", f"{f}:23"),
        ("msg", f"{f}:27", "小白兔", "小白兔", "2024-05-01T09:33:00+08:00", "真的吗？\n\n我想试试"),
    ]
    assert {i.chat for i in items if isinstance(i, ChatMessage)} == {"币圈暴富交流群"}
    assert {i.source_format for i in items if isinstance(i, ChatMessage)} == {
        "qq-chat-exporter-txt"
    }


# --- sniffing ---------------------------------------------------------------------------------

EXPECTED = {
    QQ_TXT / "classic_bom_crlf.txt": "qq-txt",
    QQ_TXT / "discussion_gb18030.txt": "qq-txt",
    QQ_TXT / "twelve_hour_utf16.txt": "qq-txt",
    QQ_TXT / "excerpt_no_banner.txt": "qq-txt",
    QQ_TXT / "malformed.txt": "qq-txt",
    QCE_JSON / "group_chat.json": "qq-chat-exporter-json",
    QCE_JSON / "private_bom_crlf.json": "qq-chat-exporter-json",
    QCE_JSON / "truncated.json": "qq-chat-exporter-json",
    QCE_JSON / "bad_records.json": "qq-chat-exporter-json",
    QCE_JSON / "no_messages.json": "qq-chat-exporter-json",
    QCE_JSON / "chunked" / "manifest.json": "qq-chat-exporter-json",
    QCE_JSON / "chunked" / "manifest_missing_chunk.json": "qq-chat-exporter-json",
    QCE_JSON / "chunked" / "chunks" / "chunk_0001.jsonl": "qq-chat-exporter-json",
    QCE_JSON / "chunked" / "chunks" / "chunk_0002.jsonl": "qq-chat-exporter-json",
    QCE_TXT / "group_export.txt": "qq-chat-exporter-txt",
}


def _sniffers(path: Path) -> list[str]:
    head, _ = decode_head(path)
    return [r.name for r in READERS if r.sniff(head, path)]


def test_every_fixture_of_ours_is_listed() -> None:
    ours = {p for d in OURS for p in d.rglob("*") if p.is_file()}
    assert ours == set(EXPECTED)


@pytest.mark.parametrize("path", sorted(EXPECTED), ids=lambda p: str(p.relative_to(EXPORTS)))
def test_our_fixtures_are_recognised_by_exactly_their_reader(path: Path) -> None:
    assert _sniffers(path) == [EXPECTED[path]]


def _foreign_files() -> list[Path]:
    others = [
        p
        for p in sorted(EXPORTS.rglob("*"))
        if p.is_file() and not any(d in p.parents for d in OURS)
    ]
    return others + PLAIN


@pytest.mark.parametrize("path", _foreign_files(), ids=lambda p: p.name)
def test_other_fixtures_are_not_taken_for_qq(path: Path) -> None:
    try:
        assert _sniffers(path) == []
    except InputError:
        pass  # a binary or empty fixture of another reader: no sniffer sees it


def test_real_files_of_other_formats_are_not_taken_for_qq() -> None:
    if not REAL.is_dir():
        pytest.skip("no real export samples here")
    for entry in json.loads((REAL / "INDEX.json").read_text(encoding="utf-8")):
        path = REAL / entry["file"]
        expected = [] if entry["format"] != "qq-txt" else ["qq-txt"]
        assert _sniffers(path) == expected, entry["file"]


def test_name_does_not_decide(tmp_path: Path) -> None:
    """Detection is from content: a QQ export named .csv is still QQ, a note named 聊天记录.txt
    is not."""
    renamed = tmp_path / "export.csv"
    renamed.write_bytes((QQ_TXT / "classic_bom_crlf.txt").read_bytes())
    assert _sniffers(renamed) == ["qq-txt"]
    note = tmp_path / "QQ聊天记录.txt"
    note.write_text("2024-01-01 10:00:00 开会\n记得带电脑\n", encoding="utf-8")
    assert _sniffers(note) == []


def test_registry_picks_our_readers_for_our_fixtures() -> None:
    registry = pytest.importorskip("tokenscam.exports.registry")
    for path, name in EXPECTED.items():
        assert registry.detect(path).name == name, path


# --- memory ------------------------------------------------------------------------------------


def _peak_while_reading(reader: Any, path: Path) -> tuple[int, int]:
    tracemalloc.start()
    try:
        count = sum(1 for _ in reader.read(path, ReadOptions()))
        return count, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _qq_txt_file(path: Path, messages: int) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        fh.write("消息记录（此消息记录为文本格式，不支持重新导入）\n\n")
        for n in range(messages):
            hms = f"{8 + n // 3600}:{n // 60 % 60:02d}:{n % 60:02d}"
            fh.write(f"2024-01-01 {hms} 甲{n % 9}(1234567{n % 9})\n")
            fh.write("今天的行情怎么样，有没有内部消息可以分享一下\n第二行\n\n")
    return path


def _qce_file(path: Path, messages: int) -> Path:
    one = json.loads((QCE_JSON / "group_chat.json").read_text(encoding="utf-8"))["messages"][0]
    with path.open("w", encoding="utf-8") as fh:
        fh.write('{"metadata": {"name": "QQChatExporter"},\n"chatInfo": {"name": "大群"},\n')
        fh.write('"messages": [\n')
        for n in range(messages):
            fh.write(
                ("," if n else "") + json.dumps(dict(one, id=str(n)), ensure_ascii=False, indent=2)
            )
        # base64 avatars at the end: each one is held while parsed, the table never is
        avatars = {str(uin): "A" * 100_000 for uin in range(messages // 200)}
        fh.write('\n],\n"avatars": ' + json.dumps(avatars) + "}\n")
    return path


@pytest.mark.parametrize(
    ("reader", "make", "large"),
    [(TXT, _qq_txt_file, 40_000), (QCE, _qce_file, 8_000)],
    ids=["qq-txt", "qce-json"],
)
def test_memory_does_not_grow_with_the_file(
    tmp_path: Path, reader: Any, make: Any, large: int
) -> None:
    small_file = make(tmp_path / "small", 400)
    large_file = make(tmp_path / "large", large)
    assert large_file.stat().st_size > 3_000_000
    count_small, peak_small = _peak_while_reading(reader, small_file)
    count_large, peak_large = _peak_while_reading(reader, large_file)
    assert (count_small, count_large) == (400, large)
    assert peak_large < 2_000_000
    assert peak_large < peak_small * 1.5 + 200_000


# --- real sample ------------------------------------------------------------------------------


def test_real_chatlab_imitation_of_the_qq_txt() -> None:
    if not REAL.is_dir():
        pytest.skip("no real export samples here")
    index = {e["file"]: e for e in json.loads((REAL / "INDEX.json").read_text(encoding="utf-8"))}
    name = "qq-txt/chatlab_qq_chat.txt"
    items = _read(TXT, REAL / name)
    assert len(items) == index[name]["messages"]
    assert not [i for i in items if isinstance(i, BadRecord)]
    counts = Counter(i.kind if isinstance(i, Skipped) else "msg" for i in items)
    assert counts == Counter({"msg": 67, "media": 7})  # [图片] [表情] [文件]
    messages = [i for i in items if isinstance(i, ChatMessage)]
    assert {m.chat for m in messages} == {"技术交流群"}
    assert (messages[0].sender_id, messages[0].sender, messages[0].timestamp) == (
        "100001",
        "小明",
        "2024-01-15T09:00:01+08:00",
    )
    # the odd ==== / 消息分组 footer is structure, not part of the last message
    assert messages[-1].text == "大家辛苦了，明天继续加油"

"""DiscordChatExporter readers: JSON (streamed) and CSV, on fixtures we wrote and real exports."""

from __future__ import annotations

import json
import tracemalloc
from collections import Counter
from pathlib import Path

import pytest

from tokenscam.errors import BadRecord, InputError
from tokenscam.exports.base import ChatMessage, Item, ReadOptions, Skipped, decode_head
from tokenscam.exports.discord import READERS, DiscordCsvReader, DiscordJsonReader

FIXTURES = Path(__file__).parent / "fixtures"
JSON_DIR = FIXTURES / "exports" / "discord-json"
CSV_DIR = FIXTURES / "exports" / "discord-csv"
REAL = Path("/work/shared/data/exports-real")

JSON = DiscordJsonReader()
CSV = DiscordCsvReader()


def read(reader: DiscordJsonReader | DiscordCsvReader, path: Path, **options: str) -> list[Item]:
    return list(reader.read(path, ReadOptions(**options)))


def read_until_error(reader: DiscordJsonReader, path: Path) -> tuple[list[Item], InputError]:
    """The items a reader yields before it gives up on the file, and why it gave up."""
    items: list[Item] = []
    with pytest.raises(InputError) as info:
        for item in reader.read(path, ReadOptions()):
            items.append(item)
    return items, info.value


def tally(items: list[Item]) -> Counter[str]:
    """messages / skipped kinds / bad, so that every entry is accounted for exactly once."""
    out: Counter[str] = Counter()
    for item in items:
        if isinstance(item, ChatMessage):
            out["message"] += 1
        elif isinstance(item, Skipped):
            out[item.kind] += 1
        else:
            assert isinstance(item, BadRecord)
            out["bad"] += 1
    return out


def bad(item: Item) -> tuple[str, int, str]:
    assert isinstance(item, BadRecord)
    return item.source, item.line, item.message


# --- JSON ---------------------------------------------------------------------------------------

SERVER_CHAT = "元宇宙财富俱乐部 / 闲聊"


def test_json_server_channel_every_entry_exactly() -> None:
    items = read(JSON, JSON_DIR / "server_channel.json")
    assert len(items) == 14  # the messages array has 14 entries
    assert tally(items) == Counter(message=6, system=3, media=2, empty=1, bad=2)

    def message(**fields: object) -> ChatMessage:
        base: dict[str, object] = {
            "source_format": "discord-json",
            "chat": SERVER_CHAT,
            "sender_id": "700000000000000001",
            "sender": "币圈老王",
            "urls": [],
        }
        base.update(fields)
        return ChatMessage(**base)  # type: ignore[arg-type]

    assert items[0] == Skipped("system", "server_channel.json:21")  # GuildMemberJoin
    assert items[1] == message(
        message_id="900000000000000002",
        timestamp="2024-03-05T14:07:12.345+08:00",
        # multi-line kept; the zero-width space inside 内部价 is gone
        text="各位老板好！\n现在囤 Token 就是囤数字石油，私信我拿内部价",
        location="server_channel.json:44",
    )
    assert items[2] == message(
        message_id="900000000000000003",
        timestamp="2024-03-05T14:08:00+08:00",
        text="官网在这里，新人注册送 500 万 tokens",
        # the link card's target and a link in its description: neither is in the text
        urls=["https://xinglian-token.example/register?ref=88", "https://t.example/abc"],
        location="server_channel.json:67",
    )
    assert items[3] == message(  # a Reply; the author has no nickname, so the name is shown
        message_id="900000000000000004",
        sender_id="700000000000000002",
        sender="xiaoli",
        timestamp="2024-03-05T14:09:30.5+08:00",
        text="真的假的？上次那个群跑路了",
        location="server_channel.json:101",
    )
    assert items[4] == Skipped("media", "server_channel.json:129")  # attachment only
    assert items[5] == Skipped("media", "server_channel.json:159")  # sticker only
    assert items[6] == Skipped("system", "server_channel.json:189")  # ChannelPinnedMessage
    assert items[7] == message(  # a bot's embed-only announcement: the embed is the message
        message_id="900000000000000008",
        sender_id="700000000000000003",
        sender="空投助手",
        timestamp="2024-03-05T14:12:00+08:00",
        text="📢 空投公告\n前 100 名领取 1000 USDT 空投\n点击领取\n截止\n今晚 12 点",
        urls=["https://airdrop.example/claim"],
        location="server_channel.json:217",
    )
    assert bad(items[8]) == ("server_channel.json", 255, "message has no author id")
    assert items[9] == Skipped("empty", "server_channel.json:269")  # whitespace-only content
    assert items[10] == Skipped("system", "server_channel.json:292")  # ThreadCreated
    assert items[11] == message(
        message_id="900000000000000012",
        timestamp="2024-03-05T14:16:00+08:00",
        text="看截图，昨天收益 3 倍",
        urls=["https://cdn.discordapp.com/attachments/1/3/profit.jpg"],
        location="server_channel.json:315",
    )
    assert items[12] == message(  # no id: the line stands in; an unreadable timestamp is None
        message_id="345",
        sender_id="700000000000000004",
        sender="Eve",
        timestamp=None,
        text="DM me for the presale whitelist, only 20 spots left",
        location="server_channel.json:345",
    )
    assert bad(items[13]) == (
        "server_channel.json",
        367,
        "expected a message object, got str",
    )


def test_json_dm_with_bom_and_crlf() -> None:
    items = read(JSON, JSON_DIR / "dm_bom_crlf.json")
    assert items == [
        ChatMessage(
            source_format="discord-json",
            chat="Direct Messages / Kai 凯",
            message_id="910000000000000001",
            sender_id="710000000000000002",
            sender="Kai 凯",
            timestamp="2024-04-01T09:15:00.000-05:00",
            text="Hi Alice, have you heard about the AI token presale?",
            location="dm_bom_crlf.json:20",
        ),
        Skipped("system", "dm_bom_crlf.json:43"),  # Call
        ChatMessage(
            source_format="discord-json",
            chat="Direct Messages / Kai 凯",
            message_id="910000000000000003",
            sender_id="710000000000000001",
            sender="Alice",
            timestamp="2024-04-01T09:31:00.000-05:00",
            text="No thanks.\nPlease stop messaging me.",  # \r\n inside the string made \n
            location="dm_bom_crlf.json:66",
        ),
        Skipped("system", "dm_bom_crlf.json:89"),  # RecipientAdd
    ]


def test_json_timestamps_keep_their_own_offset_whatever_the_time_zone_option() -> None:
    default = read(JSON, JSON_DIR / "dm_bom_crlf.json")
    other = read(JSON, JSON_DIR / "dm_bom_crlf.json", timezone="Europe/Berlin")
    assert default == other


def test_json_minified_on_one_line() -> None:
    items = read(JSON, JSON_DIR / "minified.json")
    assert [type(i).__name__ for i in items] == ["ChatMessage", "Skipped", "ChatMessage"]
    assert all(i.location == "minified.json:1" for i in items)  # type: ignore[union-attr]
    first, _, third = items
    assert isinstance(first, ChatMessage) and isinstance(third, ChatMessage)
    assert (first.chat, first.sender, first.text) == (
        "Crypto Lounge / general",
        "Eve",
        "gm everyone",
    )
    assert (third.sender_id, third.sender, third.text) == (
        "700000000000000002",
        "xiaoli",
        "新人报道",
    )


def test_json_invalid_escapes_are_tolerated() -> None:
    items = read(JSON, JSON_DIR / "invalid_escape.json")
    assert tally(items) == Counter(message=2, system=1)
    last = items[-1]
    assert isinstance(last, ChatMessage)
    # \x21 is what the writer meant by "!"; a stray backslash stays a backslash
    assert last.text == "新人报道! C:\\q"
    assert last.location == "invalid_escape.json:62"


def test_json_truncated_file_names_the_line_after_yielding_what_was_complete() -> None:
    items, error = read_until_error(JSON, JSON_DIR / "truncated.json")
    assert tally(items) == Counter(system=1, message=1)
    assert str(error).startswith(f"{JSON_DIR / 'truncated.json'}:69: the JSON ends before")
    assert "premature EOF" in str(error)


def test_json_broken_structure_names_the_line_and_what_was_expected() -> None:
    items, error = read_until_error(JSON, JSON_DIR / "missing_comma.json")
    assert tally(items) == Counter(message=1)
    assert f"{JSON_DIR / 'missing_comma.json'}:39: not valid JSON" in str(error)
    assert "I expect ',' or ']'" in str(error)


def test_json_without_messages_is_not_an_export(tmp_path: Path) -> None:
    path = tmp_path / "other.json"
    path.write_text('{"guild": {"name": "g"}, "channel": {"name": "c"}}', encoding="utf-8")
    with pytest.raises(InputError, match='other.json: no "messages" array'):
        read(JSON, path)


def test_json_of_another_exporter_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "result.json"
    path.write_text(
        '{"name": "群", "type": "private_group", "id": 1, "messages": [{"id": 1, "type": "message",'
        ' "date": "2024-03-05T14:07:00", "from": "A", "from_id": "user1", "text": "hi"}]}',
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="result.json: not a DiscordChatExporter JSON export"):
        read(JSON, path)


def test_json_empty_file_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.json"
    path.write_text("", encoding="utf-8")
    with pytest.raises(InputError, match="empty"):
        read(JSON, path)


def test_json_is_streamed_in_constant_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    message = {
        "id": "1",
        "type": "Default",
        "timestamp": "2024-05-01T00:00:00+00:00",
        "content": "囤 Token 就是囤数字石油 " * 20,
        "author": {"id": "7", "name": "a", "nickname": None},
        "attachments": [],
        "embeds": [],
        "reactions": [],
        "mentions": [],
    }
    count = 5000
    with path.open("w", encoding="utf-8") as fh:
        fh.write(
            '{\n    "guild": {"id": "1", "name": "G"},\n    "channel": {"id": "2", "name": "c"},\n'
        )
        fh.write('    "messages": [\n')
        for i in range(count):
            fh.write(("," if i else "") + json.dumps(message, ensure_ascii=False, indent=4) + "\n")
        fh.write(f'    ],\n    "messageCount": {count}\n}}\n')
    size = path.stat().st_size
    tracemalloc.start()
    try:
        read_count = sum(1 for _ in JSON.read(path, ReadOptions()))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert read_count == count
    assert peak < size / 4, (peak, size)


# --- CSV ----------------------------------------------------------------------------------------


def csv_message(
    path: str,
    line: int,
    sender_id: str,
    sender: str,
    stamp: str | None,
    text: str,
    urls: list[str] | None = None,
) -> ChatMessage:
    return ChatMessage(
        source_format="discord-csv",
        chat=Path(path).stem,
        message_id=str(line),
        sender_id=sender_id,
        sender=sender,
        timestamp=stamp,
        text=text,
        urls=urls or [],
        location=f"{path}:{line}",
    )


def test_csv_exporter_default_layout_with_bom_and_crlf() -> None:
    items = read(CSV, CSV_DIR / "dce_default.csv")
    f = "dce_default.csv"
    assert items[0] == Skipped("system", f"{f}:2")  # "Joined the server."
    assert items[1] == csv_message(
        f,
        3,
        "700000000000000001",
        "laowang_88",
        "2024-03-05T14:07:00+08:00",  # 05-Mar-24 02:07 PM in Asia/Shanghai
        '各位老板好！\n现在囤 Token 就是囤"数字石油"，私信我拿内部价',
        ["https://cdn.discordapp.com/attachments/1/2/plan.png"],
    )
    assert items[2] == Skipped("media", f"{f}:5")  # attachments only (the row above is 2 lines)
    assert items[3] == Skipped("system", f"{f}:6")  # "Started a call that lasted 12 minutes."
    assert bad(items[4]) == (
        f,
        7,
        "has 4 fields, expected 6 (AuthorID,Author,Date,Content,Attachments,Reactions)",
    )
    assert items[5] == Skipped("empty", f"{f}:8")
    assert items[6] == csv_message(
        f,
        9,
        "700000000000000004",
        "eve.trader",
        "2024-03-05T23:30:00+08:00",
        "Whitelist closes tonight: https://presale.example/join",
    )
    assert items[7] == csv_message(
        f, 10, "700000000000000002", "xiaoli", "2024-03-06T00:05:00+08:00", "已举报"
    )  # 12:05 AM is just after midnight
    assert len(items) == 8
    assert tally(items) == Counter(message=3, system=2, media=1, empty=1, bad=1)


def test_csv_us_locale_dates_and_unparseable_date() -> None:
    f = "us_locale.csv"
    assert read(CSV, CSV_DIR / f) == [
        csv_message(
            f,
            2,
            "710000000000000002",
            "Kai#4821",
            "2024-03-05T14:07:00+08:00",
            "Hi! Want in on the AI token presale? 3x guaranteed",
        ),
        csv_message(
            f,
            3,
            "710000000000000001",
            "Alice#0001",
            "2024-03-05T00:30:00+08:00",
            "Who gave you my handle?",
        ),
        csv_message(
            f,
            4,
            "710000000000000002",
            "Kai#4821",
            "2024-12-31T23:59:30+08:00",
            "Last chance\nbefore the price doubles",
        ),
        csv_message(f, 6, "710000000000000001", "Alice#0001", None, "Blocked."),
    ]


def test_csv_local_times_follow_the_time_zone_option() -> None:
    items = read(CSV, CSV_DIR / "us_locale.csv", timezone="America/New_York")
    assert [i.timestamp for i in items if isinstance(i, ChatMessage)] == [
        "2024-03-05T14:07:00-05:00",
        "2024-03-05T00:30:00-05:00",
        "2024-12-31T23:59:30-05:00",
        None,
    ]


def test_csv_resaved_by_excel_in_gb18030() -> None:
    f = "excel_gb18030.csv"
    assert read(CSV, CSV_DIR / f) == [
        csv_message(
            f,
            2,
            "720000000000000001",
            "币圈老王",
            "2024-03-05T14:07:00+08:00",
            "内部价三折拿货，转手稳赚",
        ),
        csv_message(
            f, 3, "720000000000000002", "小李", "2024-03-05T14:09:00+08:00", "好的，怎么买？"
        ),
        csv_message(
            f,
            4,
            "720000000000000001",
            "币圈老王",
            "2024-03-05T14:10:30+08:00",
            "加我微信 wx_token88",
        ),
    ]


def test_csv_chat_option_names_the_chat() -> None:
    items = read(CSV, CSV_DIR / "us_locale.csv", chat="Kai DM")
    assert {i.chat for i in items if isinstance(i, ChatMessage)} == {"Kai DM"}


def test_csv_with_another_header_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("AuthorID,Author,Date,Content\n1,a,b,c\n", encoding="utf-8")
    with pytest.raises(InputError, match="other.csv:1: expected the header AuthorID,Author"):
        read(CSV, path)


# --- sniffing -----------------------------------------------------------------------------------

OWN = {"discord-json": JSON, "discord-csv": CSV}


@pytest.mark.parametrize(
    "path", sorted([*JSON_DIR.iterdir(), *CSV_DIR.iterdir()]), ids=lambda p: p.name
)
def test_own_fixtures_are_detected_by_their_reader_only(path: Path) -> None:
    head, _ = decode_head(path)
    assert [r.name for r in READERS if r.sniff(head, path)] == [path.parent.name]


def _foreign_files() -> list[Path]:
    exports = FIXTURES / "exports"
    others = [
        p
        for p in sorted(exports.rglob("*"))
        if p.is_file() and p.relative_to(exports).parts[0] not in OWN
    ]
    return others + [FIXTURES / f"messages.{ext}" for ext in ("jsonl", "csv", "txt")]


@pytest.mark.parametrize("path", _foreign_files(), ids=str)
def test_other_files_are_not_claimed(path: Path) -> None:
    try:
        head, _ = decode_head(path)
    except InputError:
        pytest.skip("not text (binary or undecodable): no sniffer sees it")
    assert [r.name for r in READERS if r.sniff(head, path)] == []


def test_sniffing_uses_content_not_the_name(tmp_path: Path) -> None:
    renamed = tmp_path / "export.txt"
    renamed.write_bytes((JSON_DIR / "minified.json").read_bytes())
    assert JSON.sniff(decode_head(renamed)[0], renamed)
    fake = tmp_path / "discord.json"
    fake.write_text('{"messages": [], "guild_name": "x"}', encoding="utf-8")
    assert not JSON.sniff(decode_head(fake)[0], fake)


# --- real exports written by others ---------------------------------------------------------


def _real_entries() -> list[dict[str, object]]:
    index = REAL / "INDEX.json"
    if not index.exists():
        return []
    return [e for e in json.loads(index.read_text(encoding="utf-8")) if e["format"] in OWN]


@pytest.mark.parametrize("entry", _real_entries() or [None], ids=lambda e: e and e["file"])
def test_real_export_counts_match_the_index(entry: dict[str, object] | None) -> None:
    if entry is None:
        pytest.skip(f"{REAL} is not here")
    path = REAL / str(entry["file"])
    reader = OWN[str(entry["format"])]
    assert reader.sniff(decode_head(path)[0], path)
    items = list(reader.read(path, ReadOptions()))
    assert len(items) == entry["messages"]
    assert not [i for i in items if isinstance(i, BadRecord)]


def test_real_server_export_details() -> None:
    path = REAL / "discord-json" / "chatanalytics_SV_5A_5M.json"
    if not path.exists():
        pytest.skip(f"{REAL} is not here")
    items = read(JSON, path)
    assert tally(items) == Counter(message=5)
    third, fourth = items[2], items[3]
    assert isinstance(third, ChatMessage) and isinstance(fourth, ChatMessage)
    assert third.chat == "DefleMask / general-chiptune"
    assert third.sender == "mlomb"  # no nickname property: the name
    assert fourth.urls == ["https://cdn.discordapp.com/attachments/123/123/unknown.png"]
    assert fourth.timestamp == "2018-05-20T16:09:51.118+00:00"


def test_other_real_exports_are_not_claimed() -> None:
    if not REAL.exists():
        pytest.skip(f"{REAL} is not here")
    for path in sorted(REAL.rglob("*")):
        if not path.is_file() or path.parent.name in OWN or path.parent == REAL:
            continue
        head, _ = decode_head(path)
        assert [r.name for r in READERS if r.sniff(head, path)] == [], path

"""The generic table reader (CSV, TSV, JSONL, XLSX with named columns) and the time parser."""

from __future__ import annotations

import tracemalloc
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tokenscam.errors import BadRecord, InputError
from tokenscam.exports.base import ChatMessage, Item, ReadOptions, Skipped, decode_head
from tokenscam.exports.generic import READERS, GenericReader, parse_time

FIXTURES = Path(__file__).parent / "fixtures"
GENERIC = FIXTURES / "exports" / "generic"
READER = GenericReader()
SHANGHAI = ZoneInfo("Asia/Shanghai")


def read(path: Path, **options: str | None) -> list[Item]:
    return list(READER.read(path, ReadOptions(**options)))  # type: ignore[arg-type]


def tally(items: list[Item]) -> Counter[str]:
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


def message(
    path: str, line: int, message_id: str, sender: str, stamp: str | None, text: str
) -> ChatMessage:
    return ChatMessage(
        source_format="generic",
        chat=Path(path).stem,
        message_id=message_id,
        sender_id=sender,
        sender=sender,
        timestamp=stamp,
        text=text,
        urls=[],
        location=f"{path}:{line}",
    )


# --- CSV / TSV ----------------------------------------------------------------------------------


def test_csv_with_bom_multiline_ragged_and_every_time_layout() -> None:
    f = "table.csv"
    items = read(GENERIC / f, text_column="content", sender_column="author", time_column="sent_at")
    assert items[0] == message(
        f,
        2,
        "1",
        "张三",
        "2024-03-05T14:07:00+08:00",
        "现在囤词元，明年涨价转手就是三倍\n名额不多，私聊",
    )  # epoch seconds, shown in Asia/Shanghai
    assert items[1] == Skipped("empty", f"{f}:4")  # the quoted row above spans lines 2-3
    assert bad(items[2]) == (
        f,
        5,
        "has 3 fields, the header has 5 (separator ','); an unquoted separator or line break?",
    )
    # line 6 is blank: not a record
    assert items[3:] == [
        message(f, 7, "4", "王五", "2024-03-05T14:07:30+08:00", "内部价拿 Token，转给工作室赚差价"),
        message(
            f,
            8,
            "5",
            "Alice",
            "2024-03-05T14:07:00+00:00",
            "Free 5M tokens! Fill in your ID number",
        ),
        message(f, 9, "6", "Bob", "2024-03-05T14:07:00+08:00", "今天食堂的红烧肉有点咸"),
        message(f, 10, "7", "赵六", "2024-03-05T14:07:00+08:00", "周末去爬山吗"),
        message(f, 11, "8", "钱七", None, "警方提醒：这是诈骗话术"),  # "next tuesday"
        message(f, 12, "12", "孙八", None, "没有编号的一行"),  # empty id: the line number
    ]
    assert tally(items) == Counter(message=7, empty=1, bad=1)


def test_tsv_in_gb18030_with_crlf_and_chinese_column_names() -> None:
    f = "table_gb18030.tsv"
    items = read(GENERIC / f, text_column="内容", sender_column="发送者", time_column="时间")
    assert items == [
        message(
            f,
            2,
            "2",
            "客服小美",
            "2024-03-05T09:00:00+08:00",
            "恭喜您获得 100 万 Token 空投，点击 http://airdrop.example 领取",
        ),
        message(f, 3, "3", "老张", "2024-03-05T09:01:00+08:00", "引号里的\t制表符"),
        message(f, 4, "4", "老张", "2024-03-05T09:02:00+08:00", "收到，谢谢"),
    ]


def test_semicolon_separated_without_time_column() -> None:
    f = "semicolon.csv"
    assert read(GENERIC / f, text_column="message", sender_column="from") == [
        message(f, 2, "1", "Jan", None, "Investeer nu in AI-tokens, 300% rendement"),
        message(f, 3, "2", "Piet", None, "Nee dank je"),
    ]


def test_only_the_text_column_is_required() -> None:
    items = read(GENERIC / "semicolon.csv", text_column="message")
    assert all(isinstance(i, ChatMessage) for i in items)
    assert [(i.sender_id, i.sender, i.timestamp) for i in items] == [("", "", None)] * 2


def test_chat_option_and_time_zone_option() -> None:
    items = read(
        GENERIC / "table.csv",
        text_column="content",
        time_column="sent_at",
        chat="案件 42",
        timezone="UTC",
    )
    messages = [i for i in items if isinstance(i, ChatMessage)]
    assert {m.chat for m in messages} == {"案件 42"}
    assert [m.timestamp for m in messages][:4] == [
        "2024-03-05T06:07:00+00:00",  # epoch, shown in UTC
        "2024-03-05T06:07:30+00:00",
        "2024-03-05T14:07:00+00:00",  # had its own offset
        "2024-03-05T14:07:00+00:00",  # local time, now placed in UTC
    ]


# --- JSONL --------------------------------------------------------------------------------------


def test_jsonl_good_bad_and_empty_lines() -> None:
    f = "table.jsonl"
    items = read(GENERIC / f, text_column="text", sender_column="user", time_column="ts")
    assert items[0] == message(
        f, 1, "m1", "tk_88001", "2024-03-05T14:07:00+08:00", "私我上车，Token 就是数字石油"
    )
    assert bad(items[1]) == (
        f,
        2,
        "not valid JSON: Unterminated string starting at (column 22)",
    )
    assert bad(items[2]) == (f, 3, "expected a JSON object, got list")
    # line 4 is blank: not a record
    assert bad(items[3]) == (f, 5, "no field 'text'")
    assert items[4] == Skipped("empty", f"{f}:6")  # "text": null
    assert bad(items[5]) == (f, 7, "field 'text' is a dict, not text")
    assert items[6] == message(f, 8, "m6", "小王", "2024-03-05T14:07:00+08:00", "周末\n一起吃饭？")
    assert items[7] == message(  # no id: the line; numbers become text; epoch in milliseconds
        f, 9, "9", "42", "2024-03-05T14:07:40.123000+08:00", "123456"
    )
    assert len(items) == 8


def test_jsonl_whose_first_record_lacks_the_column_is_an_input_error() -> None:
    with pytest.raises(InputError) as info:
        read(GENERIC / "table.jsonl", text_column="message")
    assert str(info.value) == (
        f"{GENERIC / 'table.jsonl'}:1: no column 'message' for --text-column "
        "(columns found: 'id', 'text', 'user', 'ts')"
    )


# --- XLSX ---------------------------------------------------------------------------------------


def _workbook(path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["id", "sender", "message", "time"])
    sheet.append([1, "客服", "恭喜中奖，点击领取 Token", datetime(2024, 3, 5, 14, 7)])
    sheet.append([2, "老李", None, "2024/3/5 14:08"])
    sheet.append([None, None, None, None])
    sheet.append([3.0, "老李", "多行\n消息", 1709618940])
    sheet.append([None, 4, 12345, date(2024, 3, 6)])
    sheet.cell(row=20, column=1).number_format = "0.00"  # a styled, empty cell far below
    book.save(path)


def test_xlsx_rows_stream_with_typed_cells(tmp_path: Path) -> None:
    path = tmp_path / "cases.xlsx"
    _workbook(path)
    items = read(path, text_column="message", sender_column="sender", time_column="time")
    f = "cases.xlsx"
    assert items == [
        message(f, 2, "1", "客服", "2024-03-05T14:07:00+08:00", "恭喜中奖，点击领取 Token"),
        Skipped("empty", f"{f}:3"),
        # row 4 is empty: not a record
        message(f, 5, "3", "老李", "2024-03-05T14:09:00+08:00", "多行\n消息"),
        message(f, 6, "6", "4", "2024-03-06T00:00:00+08:00", "12345"),
    ]


def test_a_zip_that_is_not_a_workbook_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "fake.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    with pytest.raises(InputError, match="not a readable XLSX workbook"):
        read(path, text_column="text")


def test_a_zip_of_something_else_is_an_input_error(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("result.json", '{"messages": []}')
    with pytest.raises(InputError, match="export.zip: a ZIP file that is not a readable XLSX"):
        read(path, text_column="text")


def test_xlsx_missing_column_names_the_columns_found(tmp_path: Path) -> None:
    path = tmp_path / "cases.xlsx"
    _workbook(path)
    with pytest.raises(InputError, match=r"no column 'text' .*'id', 'sender', 'message', 'time'"):
        read(path, text_column="text")


# --- errors for the whole file ------------------------------------------------------------------


def test_text_column_is_required() -> None:
    with pytest.raises(InputError, match="needs --text-column"):
        read(GENERIC / "table.csv")


def test_missing_text_column_names_the_file_and_the_columns_found() -> None:
    with pytest.raises(InputError) as info:
        read(GENERIC / "table.csv", text_column="text")
    assert str(info.value) == (
        f"{GENERIC / 'table.csv'}:1: no column 'text' for --text-column "
        "(columns found: 'id', 'content', 'author', 'sent_at', 'channel')"
    )


def test_missing_sender_column_is_an_input_error_too() -> None:
    with pytest.raises(InputError, match="no column 'from' for --sender-column"):
        read(GENERIC / "table.csv", text_column="content", sender_column="from")


def test_a_json_array_is_not_json_lines(tmp_path: Path) -> None:
    path = tmp_path / "rows.json"
    path.write_text('[{"text": "hi"}]', encoding="utf-8")
    with pytest.raises(InputError, match="rows.json: a JSON array; the generic reader takes JSON"):
        read(path, text_column="text")


def test_an_unknown_time_zone_fails_before_any_row() -> None:
    with pytest.raises(InputError, match="unknown time zone 'Mars/Olympus'"):
        read(GENERIC / "table.csv", text_column="content", timezone="Mars/Olympus")


def test_missing_and_empty_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read(tmp_path / "nope.csv", text_column="text")
    with pytest.raises(InputError, match="is a directory"):
        read(tmp_path, text_column="text")
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(InputError, match="empty"):
        read(empty, text_column="text")


def test_large_csv_is_streamed_in_constant_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    rows = 60_000
    with path.open("w", encoding="utf-8") as fh:
        fh.write("id,text,sender,time\n")
        for i in range(rows):
            fh.write(f"{i},现在囤词元明年涨价转手就是三倍 第{i}条,user{i % 97},1709618820\n")
    size = path.stat().st_size
    tracemalloc.start()
    try:
        count = sum(1 for _ in READER.read(path, ReadOptions(text_column="text")))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == rows
    assert peak < size / 4, (peak, size)


# --- sniffing -----------------------------------------------------------------------------------


def test_generic_is_never_guessed() -> None:
    assert [r.name for r in READERS] == ["generic"]
    paths = [p for p in sorted((FIXTURES / "exports").rglob("*")) if p.is_file()]
    paths += [FIXTURES / f"messages.{ext}" for ext in ("jsonl", "csv", "txt")]
    for path in paths:
        try:
            head, _ = decode_head(path)
        except InputError:
            continue
        assert not READER.sniff(head, path), path


# --- the time parser ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # epochs, shown in the time zone given
        (1709618820, "2024-03-05T14:07:00+08:00"),
        ("1709618820", "2024-03-05T14:07:00+08:00"),
        (1709618820.5, "2024-03-05T14:07:00.500000+08:00"),
        ("1709618820123", "2024-03-05T14:07:00.123000+08:00"),
        # ISO 8601 with or without an offset
        ("2024-03-05T14:07:00+00:00", "2024-03-05T14:07:00+00:00"),
        ("2024-03-05T06:07:00Z", "2024-03-05T06:07:00+00:00"),
        ("2024-03-05 14:07:00", "2024-03-05T14:07:00+08:00"),
        ("2024-03-05 14:07", "2024-03-05T14:07:00+08:00"),
        ("2024-03-05", "2024-03-05T00:00:00+08:00"),
        # slashes and dots, year first
        ("2024/3/5 14:07", "2024-03-05T14:07:00+08:00"),
        ("2024/3/5 9:07:05", "2024-03-05T09:07:05+08:00"),
        ("2024/3/5 下午 2:09", "2024-03-05T14:09:00+08:00"),
        ("2024/3/5 上午 12:09", "2024-03-05T00:09:00+08:00"),
        ("2024.03.05 14:07", "2024-03-05T14:07:00+08:00"),
        # DiscordChatExporter's locale layouts
        ("05-Mar-24 02:07 PM", "2024-03-05T14:07:00+08:00"),
        ("05-Mar-24 12:07 AM", "2024-03-05T00:07:00+08:00"),
        ("3/5/2024 2:07 PM", "2024-03-05T14:07:00+08:00"),
        ("12/31/2024 11:59:30 PM", "2024-12-31T23:59:30+08:00"),
        ("3/5/24 2:07 p. m.", "2024-03-05T14:07:00+08:00"),
        ("Mar 5, 2024 2:07 PM", "2024-03-05T14:07:00+08:00"),
        ("March 5, 2024", "2024-03-05T00:00:00+08:00"),
        # day first: 24-hour clocks, dots, a day over 12
        ("05/03/2024 14:07", "2024-03-05T14:07:00+08:00"),
        ("25/12/2024 09:00", "2024-12-25T09:00:00+08:00"),
        ("05.03.2024 14:07:09", "2024-03-05T14:07:09+08:00"),
        ("05-03-2024 14:07", "2024-03-05T14:07:00+08:00"),
        # Chinese dates, offsets written after the clock
        ("2024年3月5日 14:07", "2024-03-05T14:07:00+08:00"),
        ("2024/3/5 14:07 +0100", "2024-03-05T14:07:00+01:00"),
        ("3/5/2024 2:07 PM UTC", "2024-03-05T14:07:00+00:00"),
        # typed cells
        (datetime(2024, 3, 5, 14, 7), "2024-03-05T14:07:00+08:00"),
        (date(2024, 3, 5), "2024-03-05T00:00:00+08:00"),
        # not times
        ("next tuesday", None),
        ("", None),
        (None, None),
        (True, None),
        ("13/13/2024 10:00", None),
        ("Foo 5, 2024", None),
        ("2024/3/5 25:00", None),
    ],
)
def test_parse_time(value: object, expected: str | None) -> None:
    assert parse_time(value, SHANGHAI) == expected

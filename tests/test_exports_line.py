"""LINE chat-history TXT: Taiwan-style groups first, then the other app languages."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tokenscam.errors import BadRecord, InputError
from tokenscam.exports import line
from tokenscam.exports.base import ChatMessage, ReadOptions, Skipped, decode_head
from tokenscam.exports.line import READERS, LineTxtReader
from tokenscam.exports.whatsapp import WhatsAppTxtReader

FIXTURES = Path(__file__).parent / "fixtures"
LN = FIXTURES / "exports" / "line-txt"
REAL = Path("/work/shared/data/exports-real")
READER = LineTxtReader()


def read(path: Path, **options: str) -> list:
    return list(READER.read(path, ReadOptions(**options)))


def rows(items: list) -> list[tuple]:
    """Items as plain tuples, so one assert shows the whole file."""
    out: list[tuple] = []
    for it in items:
        if isinstance(it, ChatMessage):
            out.append(("msg", it.message_id, it.sender_id, it.sender, it.timestamp, it.text))
        elif isinstance(it, Skipped):
            out.append(("skip", it.kind, it.location))
        else:
            assert isinstance(it, BadRecord)
            out.append(("bad", it.line, it.message))
    return out


def messages(items: list) -> list[ChatMessage]:
    return [it for it in items if isinstance(it, ChatMessage)]


def test_module_exports_one_reader() -> None:
    assert [r.name for r in READERS] == ["line-txt"]
    assert READERS[0].description and READERS[0].detection


def test_taiwan_group_bom_crlf_quotes_and_system_lines() -> None:
    path = LN / "zh_tw_group.txt"
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    items = read(path, timezone="Asia/Taipei")
    assert rows(items) == [
        (
            "msg",
            "5",
            "陳老師",
            "陳老師",
            "2026-01-29T09:30:00+08:00",
            "各位早安，今天的獲利名單已更新",
        ),
        ("skip", "system", "zh_tw_group.txt:6"),  # empty sender: 陳老師已將林小姐加入群組
        (
            "msg",
            "7",
            "林小姐",
            "林小姐",
            "2026-01-29T12:05:00+08:00",  # 下午12:05
            "老師好\n請問入金最低多少？\n\t想先試試看",  # a tab inside the quotes
        ),
        ("skip", "media", "zh_tw_group.txt:10"),  # [貼圖]
        (
            "msg",
            "11",
            "陳老師",
            "陳老師",
            "2026-01-29T12:07:00+08:00",
            # a line inside the quotes that looks like a message line stays in the message
            "最低 1 萬台幣\n12:00\t這一行不是新訊息\n保證每週獲利 15%\n"
            "加我私人 LINE：https://line.me/ti/p/abc123",
        ),
        ("skip", "system", "zh_tw_group.txt:15"),  # 陳老師已收回訊息
        ("skip", "empty", "zh_tw_group.txt:16"),
        ("msg", "19", "王大明", "王大明", "2026-01-30T00:15:00+08:00", "老師晚安，我已經匯款了"),
        ("skip", "media", "zh_tw_group.txt:20"),  # [照片]
    ]
    first = messages(items)[0]
    assert first.source_format == "line-txt"
    assert first.chat == "幣圈獲利交流群"
    assert first.urls == []
    assert first.location == "zh_tw_group.txt:5"


def test_english_dates_am_pm_and_an_unclosed_quote_at_the_end() -> None:
    items = read(LN / "en_group.txt")
    assert rows(items) == [
        (
            "msg",
            "5",
            "Jason Wu",
            "Jason Wu",
            "2025-12-10T09:30:00+08:00",  # "Wed, 12/10/2025" is month first
            "Good morning! BTC signal: buy now, sell at 5pm",
        ),
        ("skip", "media", "en_group.txt:6"),  # [Photo]
        ("msg", "7", "Amy", "Amy", "2025-12-10T13:15:00+08:00", "Where do I sign up?"),
        (
            "msg",
            "8",
            "Jason Wu",
            "Jason Wu",
            "2025-12-10T12:00:00+08:00",  # 12:00pm is noon
            "Step 1: download the app\nStep 2: deposit 1,000 USDT",
        ),
        ("skip", "system", "en_group.txt:12"),  # "2025.12.11 Thursday", empty sender
        ("skip", "system", "en_group.txt:13"),  # Amy unsent a message
        (
            "msg",
            "16",
            "Jason Wu",
            "Jason Wu",
            "2026-01-30T23:11:00+08:00",  # "Fri, 1/30/2026"
            '"Last call" for the VIP pool',  # opened a quote that never closed: kept as typed
        ),
    ]
    assert {m.chat for m in messages(items)} == {"Crypto Wealth Club"}


def test_simplified_chinese_one_to_one_gb18030() -> None:
    path = LN / "zh_cn_private_gb18030.txt"
    assert decode_head(path)[1] == "gb18030"
    items = read(path)
    assert rows(items) == [
        (
            "msg",
            "5",
            "张伟",
            "张伟",
            "2026-01-30T09:30:00+08:00",
            "你好，我是币安客服，你的账户存在风险",
        ),
        ("msg", "6", "李娜", "李娜", "2026-01-30T09:31:00+08:00", "真的吗？"),
        (
            "msg",
            "7",
            "张伟",
            "张伟",
            "2026-01-30T21:05:00+08:00",
            "请立即把资产转到安全账户：\nTXa1b2c3d4e5f6\n否则资产将被冻结",
        ),
    ]
    assert {m.chat for m in messages(items)} == {"张伟"}  # "与张伟的聊天记录"


def test_japanese_group() -> None:
    items = read(LN / "ja_group.txt", timezone="Asia/Tokyo")
    assert rows(items) == [
        (
            "msg",
            "5",
            "佐藤",
            "佐藤",
            "2026-01-30T09:30:00+09:00",  # 午前9:30
            "おはようございます。本日の推奨銘柄です",
        ),
        ("skip", "media", "ja_group.txt:6"),  # [スタンプ]
        ("skip", "system", "ja_group.txt:7"),  # メッセージの送信を取り消しました
    ]
    assert messages(items)[0].chat == "投資サロン"


def test_spaces_instead_of_tabs() -> None:
    items = read(LN / "space_variant.txt")
    assert rows(items) == [
        ("msg", "5", "陳老師", "陳老師", "2026-01-30T09:30:00+08:00", "今天的目標價是 88 元"),
        ("skip", "system", "space_variant.txt:6"),  # two spaces: no sender
        ("msg", "7", "王大明", "王大明", "2026-01-30T09:32:00+08:00", "好的，謝謝老師"),
    ]
    assert messages(items)[0].chat == "台灣投資交流"


def test_malformed_records_are_reported_and_the_rest_read() -> None:
    items = read(LN / "malformed.txt")
    assert rows(items) == [
        (
            "bad",
            2,
            "line before the first message; expected a date line or 'TIME<TAB>Sender<TAB>Text'",
        ),
        ("msg", "3", "早鳥", "早鳥", None, "日期行之前的訊息"),  # no date line yet
        ("bad", 4, "impossible date '2026/02/30（一）' in a date line"),
        ("msg", "5", "阿明", "阿明", None, "日期不存在"),
        ("bad", 7, "impossible time 25:61"),
        # the quote never closes: the opening line is one message, the next line is read again
        ("msg", "8", "阿明", "阿明", "2026-02-02T09:20:00+08:00", '"這則訊息以引號開頭但沒有結束'),
        ("msg", "9", "小華", "小華", "2026-02-02T09:21:00+08:00", "後面的訊息還是要讀到"),
    ]
    assert all(it.source == "malformed.txt" for it in items if isinstance(it, BadRecord))


def test_a_quote_that_runs_too_long_is_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(line, "MAX_QUOTED_LINES", 3)
    path = tmp_path / "chat.txt"
    path.write_text(
        "[LINE] 測試群的聊天記錄\n"
        "2026/1/30（五）\n"
        '09:00\t阿明\t"開頭有引號\n'
        "09:01\t小華\t一\n"
        "09:02\t小華\t二\n"
        "09:03\t小華\t三\n"
        '09:04\t小華\t"短的\n'
        '引號"\n',
        encoding="utf-8",
    )
    assert rows(read(path)) == [
        ("msg", "3", "阿明", "阿明", "2026-01-30T09:00:00+08:00", '"開頭有引號'),
        ("msg", "4", "小華", "小華", "2026-01-30T09:01:00+08:00", "一"),
        ("msg", "5", "小華", "小華", "2026-01-30T09:02:00+08:00", "二"),
        ("msg", "6", "小華", "小華", "2026-01-30T09:03:00+08:00", "三"),
        ("msg", "7", "小華", "小華", "2026-01-30T09:04:00+08:00", "短的\n引號"),
    ]


def test_file_name_and_header_less_exports(tmp_path: Path) -> None:
    body = "2026/1/30 週五\n09:00\t阿明\t早\n09:01\t小華\t早安\n09:02\t阿明\t開盤了\n"
    named = tmp_path / "[LINE] 投資群.txt"
    named.write_text(body, encoding="utf-8")
    head, _ = decode_head(named)
    assert READER.sniff(head, named)
    items = read(named)
    assert [m.chat for m in messages(items)] == ["投資群"] * 3
    assert messages(items)[0].timestamp == "2026-01-30T09:00:00+08:00"
    assert read(named, chat="override")[0].chat == "override"
    plain = tmp_path / "chat.txt"
    plain.write_text(body, encoding="utf-8")
    assert READER.sniff(head, plain)  # starts with a date line, then message lines


def test_unsent_messages_and_calls_are_system_entries(tmp_path: Path) -> None:
    path = tmp_path / "chat.txt"
    path.write_text(
        "[LINE] 測試群的聊天記錄\n"
        "2026/1/30（五）\n"
        "09:00\t阿明\t阿明已收回訊息\n"
        "09:01\t阿明\t聽說小華已收回訊息\n"
        "09:02\t小華\tYou unsent a message\n"
        "09:03\t小華\t☎ 通話時間 1:02\n",
        encoding="utf-8",
    )
    assert rows(read(path)) == [
        ("skip", "system", "chat.txt:3"),
        ("msg", "4", "阿明", "阿明", "2026-01-30T09:01:00+08:00", "聽說小華已收回訊息"),
        ("skip", "system", "chat.txt:5"),
        ("skip", "system", "chat.txt:6"),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026/1/30周五", date(2026, 1, 30)),
        ("2026/01/30（五）", date(2026, 1, 30)),
        ("2026/1/30(金)", date(2026, 1, 30)),
        ("2026/1/30 星期五", date(2026, 1, 30)),
        ("2026年1月30日 星期五", date(2026, 1, 30)),
        ("2025.12.10 Wednesday", date(2025, 12, 10)),
        ("Fri, 1/30/2026", date(2026, 1, 30)),
        ("Fri, 30/1/2026", date(2026, 1, 30)),
        ("Friday, January 30, 2026", date(2026, 1, 30)),
        ("2026/2/30（一）", None),
        ("09:30\t王\t早", False),
        ("今天 2026/1/30 開盤", False),
    ],
)
def test_date_lines(text: str, expected: date | None | bool) -> None:
    assert line._parse_date(text) == expected


def test_a_file_that_is_not_line_is_an_input_error() -> None:
    with pytest.raises(InputError, match="messages.txt: not a LINE chat history"):
        read(FIXTURES / "messages.txt")


# --- sniffing -----------------------------------------------------------------------------------

OWN = sorted(p for p in LN.rglob("*") if p.is_file())
OTHERS = sorted(
    p
    for p in (FIXTURES / "exports").rglob("*")
    if p.is_file() and "line-txt" not in p.relative_to(FIXTURES).parts
) + [FIXTURES / f"messages.{ext}" for ext in ("jsonl", "csv", "txt")]


@pytest.mark.parametrize("path", OWN, ids=lambda p: p.name)
def test_sniffs_own_fixtures(path: Path) -> None:
    head, _ = decode_head(path)
    assert READER.sniff(head, path)
    assert not WhatsAppTxtReader().sniff(head, path)


@pytest.mark.parametrize("path", OTHERS, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_rejects_other_fixtures(path: Path) -> None:
    try:
        head, _ = decode_head(path)
    except InputError:
        pytest.skip("not decodable text")
    assert not READER.sniff(head, path)


def test_rejects_real_exports_of_other_formats() -> None:
    # There is no real LINE sample; the real files of every other format must not look like one.
    if not REAL.exists():
        pytest.skip(f"{REAL} is not available")
    others = [p for p in REAL.rglob("*") if p.is_file() and p.suffix != ".md"]
    assert others
    for path in others:
        head, _ = decode_head(path)
        assert not READER.sniff(head, path), path

"""WhatsApp "Export chat" TXT: every layout we write fixtures for, read exactly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tokenscam.errors import BadRecord, InputError
from tokenscam.exports import whatsapp
from tokenscam.exports.base import ChatMessage, ReadOptions, Skipped, decode_head
from tokenscam.exports.line import LineTxtReader
from tokenscam.exports.whatsapp import READERS, WhatsAppTxtReader

FIXTURES = Path(__file__).parent / "fixtures"
WA = FIXTURES / "exports" / "whatsapp-txt"
REAL = Path("/work/shared/data/exports-real")
READER = WhatsAppTxtReader()


def read(path: Path, reader: WhatsAppTxtReader = READER, **options: str) -> list:
    return list(reader.read(path, ReadOptions(**options)))


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
    assert [r.name for r in READERS] == ["whatsapp-txt"]
    assert READERS[0].description and READERS[0].detection


def test_android_us_layout_with_narrow_no_break_spaces() -> None:
    path = WA / "WhatsApp Chat with Token Club.txt"
    items = read(path)
    name = path.name
    assert rows(items) == [
        ("skip", "system", f"{name}:1"),
        ("skip", "system", f"{name}:2"),
        (
            "msg",
            "3",
            "+14155550142",
            "+1 (415) 555-0142",
            "2024-01-28T21:06:00+08:00",
            "Welcome everyone! Our AI token pool pays 3% daily.\n"
            "Join before Friday: https://token-club.example/join\n"
            "Minimum deposit: 500 USDT",
        ),
        (
            "msg",
            "6",
            "Mia Chen",
            "Mia Chen",
            "2024-01-28T21:07:00+08:00",
            "Is this legit? My cousin said: never send USDT first",
        ),
        ("skip", "media", f"{name}:7"),
        ("skip", "system", f"{name}:8"),  # "This message was deleted"
        (
            "msg",
            "9",
            "Kevin",  # "~ Kevin": not in the address book
            "Kevin",
            "2024-01-29T00:01:00+08:00",  # 12:01 AM
            "100% guaranteed, I withdrew 2,000 USDT yesterday",  # "<This message was edited>" cut
        ),
        (
            "msg",
            "10",
            "Dr. Lee",  # split at the first ": "
            "Dr. Lee",
            "2024-01-29T12:15:00+08:00",  # 12:15 PM
            "VIP: ask me for the private channel",
        ),
        ("skip", "system", f"{name}:11"),
    ]
    first = messages(items)[0]
    assert first.source_format == "whatsapp-txt"
    assert first.chat == "Token Club"  # from "WhatsApp Chat with Token Club.txt"
    assert first.urls == []  # links in the text stay in the text
    assert first.location == f"{name}:3"


def test_zh_cn_android_gb18030_crlf() -> None:
    path = WA / "与币圈交流群的 WhatsApp 聊天.txt"
    assert path.read_bytes().count(b"\r\n") == 9
    assert decode_head(path)[1] == "gb18030"
    items = read(path)
    name = path.name
    assert rows(items) == [
        ("skip", "system", f"{name}:1"),  # 消息和通话已进行端到端加密
        ("skip", "system", f"{name}:2"),  # 王老师 创建了群组
        (
            "msg",
            "3",
            "王老师",
            "王老师",
            "2024-05-01T09:32:00+08:00",
            "各位好，今天带大家布局一个新币，内部价0.02，上所后至少十倍。\n名额有限，先到先得。\n私聊我拿白名单",
        ),
        ("skip", "media", f"{name}:6"),  # <省略影音内容>
        ("skip", "system", f"{name}:7"),  # 这条消息已删除
        (
            "msg",
            "8",
            "+8613800138000",
            "+86 138 0013 8000",
            "2024-05-01T21:05:00+08:00",
            "老师，怎么入金？",
        ),
        ("msg", "9", "王老师", "王老师", "2024-05-01T21:06:00+08:00", "加我微信：wang_teacher88"),
    ]
    assert {m.chat for m in messages(items)} == {"币圈交流群"}


def test_zh_tw_ios_bom_cjk_markers_and_marks() -> None:
    path = WA / "WhatsApp Chat - 台股飆股群" / "_chat.txt"
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    items = read(path, timezone="Asia/Taipei")
    assert rows(items) == [
        ("skip", "system", "_chat.txt:1"),  # banner, "sent" by the group
        ("skip", "system", "_chat.txt:2"),  # U+200E before the text: written by the app
        (
            "msg",
            "3",
            "陳老師",
            "陳老師",
            "2024-05-01T09:16:40+08:00",
            "早安！今天的飆股名單已經出爐\n明天開盤前進場，保證獲利30%",
        ),
        ("msg", "5", "林美玲", "林美玲", "2024-05-01T12:05:00+08:00", "老師，要怎麼加入VIP？"),
        ("skip", "media", "_chat.txt:6"),  # 圖片已略去
        ("skip", "system", "_chat.txt:7"),  # 此訊息已刪除
        # an attachment with a caption: the caption is scored
        (
            "msg",
            "8",
            "陳老師",
            "陳老師",
            "2024-05-01T12:08:00+08:00",
            "匯款帳號在圖上，匯完截圖給助理",
        ),
        (
            "msg",
            "10",
            "林美玲",
            "林美玲",
            "2024-05-02T23:59:59+08:00",
            "收到，明天匯款",
        ),  # 11:59:59 下午
        ("skip", "system", "_chat.txt:11"),  # 未接語音通話
    ]
    assert {m.chat for m in messages(items)} == {"台股飆股群"}  # from the unpacked ZIP folder


def test_en_gb_ios_lowercase_am_pm_and_media_kinds() -> None:
    items = read(WA / "ios_en_gb.txt")
    assert rows(items) == [
        (
            "msg",
            "1",
            "Oliver Grant",
            "Oliver Grant",
            "2024-05-16T08:01:09+08:00",
            "Morning all. The staking pool closes tonight",
        ),
        ("skip", "media", "ios_en_gb.txt:2"),  # image omitted
        (
            "msg",
            "3",
            "Priya",
            "Priya",
            "2024-05-16T08:02:15+08:00",
            "What\u2019s the lock-up period?",
        ),
        ("skip", "media", "ios_en_gb.txt:4"),  # "Whitepaper • 12 pages document omitted"
        (
            "msg",
            "5",
            "Oliver Grant",
            "Oliver Grant",
            "2024-05-17T21:47:19+08:00",
            "30 days, then 5% weekly. Register here: https://stake-pool.example/r/og",
        ),
        ("skip", "media", "ios_en_gb.txt:6"),  # a shared location
        (
            "msg",
            "7",
            "Priya",
            "Priya",
            "2024-05-18T00:00:00+08:00",
            "Midnight. Still no withdrawal.",
        ),
        ("skip", "media", "ios_en_gb.txt:8"),  # sticker omitted
    ]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "ios_fi_klo.txt",  # "[1.5.2024 klo 9.30.00]", no trailing newline
            [
                (
                    "msg",
                    "1",
                    "Aino Virtanen",
                    "Aino Virtanen",
                    "2024-05-01T09:30:00+08:00",
                    "Huomenta! Uusi kryptorahasto tuottaa 2 % päivässä",
                ),
                (
                    "msg",
                    "2",
                    "Mikko",
                    "Mikko",
                    "2024-05-13T21:05:10+08:00",
                    "Kuulostaa huijaukselta",
                ),
            ],
        ),
        (
            "android_de_dots.txt",
            [
                ("skip", "system", "android_de_dots.txt:1"),
                (
                    "msg",
                    "2",
                    "Jonas",
                    "Jonas",
                    "2023-12-24T18:01:00+08:00",
                    "Frohe Weihnachten! Der Bitcoin-Bot bringt 2 % pro Tag",
                ),
                ("skip", "media", "android_de_dots.txt:3"),
                ("skip", "system", "android_de_dots.txt:4"),
            ],
        ),
        (
            "android_es_pm.txt",  # "10:37 p.\u00a0m." and a no-break space in the text
            [
                ("skip", "system", "android_es_pm.txt:1"),
                (
                    "msg",
                    "2",
                    "Carlos Ruiz",
                    "Carlos Ruiz",
                    "2023-12-25T22:38:00+08:00",
                    "Hola a todos, el grupo de inversión abre mañana",
                ),
                ("skip", "media", "android_es_pm.txt:3"),
                ("skip", "system", "android_es_pm.txt:4"),
            ],
        ),
    ],
)
def test_other_locales(name: str, expected: list[tuple]) -> None:
    assert rows(read(WA / name)) == expected


def test_day_month_order_from_dates_going_backwards() -> None:
    # "/" with upper-case PM hints month first, but 05/03 → 06/03 → 07/03 → 01/04 only runs
    # forwards when read day first.
    stamps = [m.timestamp for m in messages(read(WA / "android_reversal.txt"))]
    assert stamps == [
        "2024-03-05T20:00:00+08:00",
        "2024-03-06T20:00:00+08:00",
        "2024-03-07T20:00:00+08:00",
        "2024-04-01T20:00:00+08:00",
    ]


def test_day_month_order_from_the_locale_hint_and_the_override() -> None:
    path = WA / "android_ambiguous_us.txt"
    assert [m.timestamp for m in messages(read(path))] == [
        "2024-01-05T09:30:00+08:00",
        "2024-01-05T09:31:00+08:00",
    ]
    day_first = WhatsAppTxtReader(day_first=True)
    assert [m.timestamp for m in messages(read(path, day_first))] == [
        "2024-05-01T09:30:00+08:00",
        "2024-05-01T09:31:00+08:00",
    ]


def test_time_zone_and_chat_options() -> None:
    items = read(WA / "WhatsApp Chat with Token Club.txt", timezone="Europe/Berlin", chat="X")
    first = messages(items)[0]
    assert first.timestamp == "2024-01-28T21:06:00+01:00"
    assert first.chat == "X"


def test_malformed_records_are_reported_and_the_rest_read() -> None:
    items = read(WA / "malformed.txt")
    expected_header = "expected 'DATE, TIME - Sender: text' or '[DATE, TIME] Sender: text'"
    assert rows(items) == [
        ("bad", 1, f"2 lines without a message header; {expected_header}"),
        ("msg", "3", "Ana", "Ana", "2024-02-01T10:00:00+08:00", "fine"),
        ("bad", 4, "invalid date or time '31/02/2024, 10:01 -' in a message header"),
        ("bad", 6, "invalid date or time '14/02/2024, 25:00 -' in a message header"),
        ("skip", "empty", "malformed.txt:7"),
        ("msg", "8", "Ben", "Ben", "2024-02-15T10:03:00+08:00", "last good one"),
    ]
    assert all(it.source == "malformed.txt" for it in items if isinstance(it, BadRecord))
    assert str(items[0]).startswith("malformed.txt:1: ")


def test_a_file_without_headers_is_an_input_error() -> None:
    path = FIXTURES / "messages.txt"
    with pytest.raises(InputError, match="messages.txt: no WhatsApp message header"):
        read(path)


def test_body_lines_that_only_start_with_a_date_are_continuations(tmp_path: Path) -> None:
    path = tmp_path / "chat.txt"
    path.write_text(
        "01/05/2024, 09:30 - Ana: the pool opened on\n"
        "01/05/2024 and pays out on\n"
        "1.2.3, 4:56 - not a header either\n"
        "[02/05/2024, 10:00] is not iOS either\n"
        "13/05/2024, 10:00 - Ben: ok\n",
        encoding="utf-8",
    )
    assert rows(read(path)) == [
        (
            "msg",
            "1",
            "Ana",
            "Ana",
            "2024-05-01T09:30:00+08:00",
            "the pool opened on\n01/05/2024 and pays out on\n1.2.3, 4:56 - not a header either\n"
            "[02/05/2024, 10:00] is not iOS either",
        ),
        ("msg", "5", "Ben", "Ben", "2024-05-13T10:00:00+08:00", "ok"),
    ]


def test_system_lines_with_a_colon_are_not_messages(tmp_path: Path) -> None:
    path = tmp_path / "chat.txt"
    path.write_text(
        '13/05/2024, 10:00 - Ana changed the subject from "Pool: old" to "Pool: new"\n'
        "13/05/2024, 10:01 - Ana: 我修改了群组名称: 大家注意\n",
        encoding="utf-8",
    )
    assert rows(read(path)) == [
        ("skip", "system", "chat.txt:1"),
        ("msg", "2", "Ana", "Ana", "2024-05-13T10:01:00+08:00", "我修改了群组名称: 大家注意"),
    ]


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        ("<Media omitted>", "media"),
        ("<已省略多媒體檔案>", "media"),
        ("影片已略去", "media"),
        ("貼圖已略去", "media"),
        ("video omitted", "media"),
        ("audio omitted", "media"),
        ("IMG-20240501-WA0001.jpg (file attached)", "media"),
        ("null", "media"),
        ("此訊息已刪除", "system"),
        ("You deleted this message", "system"),
        ("   ", "empty"),
    ],
)
def test_placeholders(tmp_path: Path, body: str, kind: str) -> None:
    path = tmp_path / "與王小明的WhatsApp對話.txt"
    path.write_text(f"2024/5/1 下午3:05 - 王小明: {body}\n", encoding="utf-8")
    assert rows(read(path)) == [("skip", kind, f"{path.name}:1")]


def test_a_caption_under_an_android_attachment_is_scored(tmp_path: Path) -> None:
    path = tmp_path / "與王小明的WhatsApp對話.txt"
    path.write_text(
        "2024/5/1 下午3:05 - 王小明: IMG-20240501-WA0001.jpg (file attached)\n這是今天的收益截圖\n",
        encoding="utf-8",
    )
    [msg] = read(path)
    assert (msg.chat, msg.timestamp, msg.text) == (
        "王小明",
        "2024-05-01T15:05:00+08:00",
        "這是今天的收益截圖",
    )


def test_an_endless_message_is_reported_not_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(whatsapp, "_MAX_MESSAGE_CHARS", 10)
    path = tmp_path / "chat.txt"
    path.write_text(
        "13/05/2024, 10:00 - Ana: hi\naaaaaaaaaa\nbbbbbbbbbb\n13/05/2024, 10:05 - Ben: ok\n",
        encoding="utf-8",
    )
    items = read(path)
    assert [type(it).__name__ for it in items] == ["BadRecord", "BadRecord", "ChatMessage"]
    assert [it.line for it in items[:2]] == [1, 3]
    assert "runs past 10 characters" in items[0].message


# --- sniffing -----------------------------------------------------------------------------------

OWN = sorted(p for p in WA.rglob("*") if p.is_file())
OTHERS = sorted(
    p
    for p in (FIXTURES / "exports").rglob("*")
    if p.is_file() and "whatsapp-txt" not in p.relative_to(FIXTURES).parts
) + [FIXTURES / f"messages.{ext}" for ext in ("jsonl", "csv", "txt")]


@pytest.mark.parametrize("path", OWN, ids=lambda p: p.name)
def test_sniffs_own_fixtures(path: Path) -> None:
    head, _ = decode_head(path)
    assert READER.sniff(head, path)
    assert not LineTxtReader().sniff(head, path)


@pytest.mark.parametrize("path", OTHERS, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_rejects_other_fixtures(path: Path) -> None:
    try:
        head, _ = decode_head(path)
    except InputError:
        pytest.skip("not decodable text")
    assert not READER.sniff(head, path)


# --- real exports written by others -------------------------------------------------------------


def _real_files(prefix: str) -> list:
    index = REAL / "INDEX.json"
    if not index.exists():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"{REAL} is not available"))]
    entries = json.loads(index.read_text(encoding="utf-8"))
    return [pytest.param(e, id=e["file"]) for e in entries if e["format"].startswith(prefix)]


@pytest.mark.parametrize("entry", _real_files("whatsapp-txt"))
def test_real_exports(entry: dict) -> None:
    path = REAL / entry["file"]
    head, _ = decode_head(path)
    assert READER.sniff(head, path)
    items = read(path)
    assert len(items) == entry["messages"]
    assert not [it for it in items if isinstance(it, BadRecord)]
    assert all(m.timestamp and m.timestamp.endswith("+08:00") for m in messages(items))


def test_real_exports_of_other_formats_are_rejected() -> None:
    if not REAL.exists():
        pytest.skip(f"{REAL} is not available")
    others = [
        p
        for p in REAL.rglob("*")
        if p.is_file() and p.suffix != ".md" and not p.parent.name.startswith("whatsapp")
    ]
    assert others
    for path in others:
        head, _ = decode_head(path)
        assert not READER.sniff(head, path), path


def test_real_ios_attachment_and_stress_file_details() -> None:
    if not REAL.exists():
        pytest.skip(f"{REAL} is not available")
    items = read(REAL / "whatsapp-txt-ios" / "languagewa_chat_alice_bob.txt")
    assert [it.kind for it in items if isinstance(it, Skipped)] == ["media", "media"]
    items = read(REAL / "whatsapp-txt-android" / "chatminer_testlog.txt")
    counts = {
        kind: sum(1 for it in items if isinstance(it, kind)) for kind in (ChatMessage, Skipped)
    }
    assert counts == {ChatMessage: 20, Skipped: 3}
    long = messages(items)[3]
    assert long.text.count("\n") == 5 and long.timestamp == "2020-01-18T14:53:00+08:00"

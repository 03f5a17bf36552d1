"""WeChat export readers: MemoTrace CSV/TXT, PyWxDump CSV, chatlog CSV.

Fixtures under tests/fixtures/exports/{memotrace-csv,memotrace-txt,pywxdump-csv,chatlog-csv} are
invented chats; every entry of each file is checked, so the counts (messages / skipped / bad)
are exact. Real PyWxDump files from /work/shared/data/exports-real are read in place when present.
"""

from __future__ import annotations

import csv
import json
import logging
import shutil
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from tokenscam.errors import BadRecord, InputError
from tokenscam.exports.base import ChatMessage, ReadOptions, Skipped, decode_head
from tokenscam.exports.wechat import (
    READERS,
    ChatlogCsvReader,
    MemoTraceCsvReader,
    MemoTraceTxtReader,
    PyWxDumpCsvReader,
)

EXPORTS = Path(__file__).parent / "fixtures" / "exports"
PLAIN = [Path(__file__).parent / "fixtures" / f"messages.{ext}" for ext in ("jsonl", "csv", "txt")]
REAL = Path("/work/shared/data/exports-real")
OURS = ("memotrace-csv", "memotrace-txt", "pywxdump-csv", "chatlog-csv")
BY_NAME = {r.name: r for r in READERS}

MEMO_CSV = EXPORTS / "memotrace-csv"
MEMO_TXT = EXPORTS / "memotrace-txt"
PYWX = EXPORTS / "pywxdump-csv"
CHATLOG = EXPORTS / "chatlog-csv"


def _read(reader: Any, path: Path, **options: Any) -> list[Any]:
    return list(reader.read(path, ReadOptions(**options)))


def _line(location: str) -> int:
    return int(location.rsplit(":", 1)[1])


def _simple(item: Any) -> tuple[Any, ...]:
    """An item as a comparable tuple: messages with everything that matters, skips with their
    kind, bad records with their line."""
    if isinstance(item, ChatMessage):
        return (
            "msg",
            _line(item.location),
            item.sender_id,
            item.sender,
            item.timestamp,
            item.text,
            item.urls,
        )
    if isinstance(item, Skipped):
        return (item.kind, _line(item.location))
    assert isinstance(item, BadRecord), item
    return ("bad", item.line)


def _counts(items: list[Any]) -> tuple[int, int, int]:
    msgs = sum(isinstance(i, ChatMessage) for i in items)
    skipped = sum(isinstance(i, Skipped) for i in items)
    bad = sum(isinstance(i, BadRecord) for i in items)
    assert msgs + skipped + bad == len(items)
    return msgs, skipped, bad


def _bad_messages(items: list[Any]) -> list[str]:
    return [i.message for i in items if isinstance(i, BadRecord)]


# --- the reader objects ---------------------------------------------------------------------


def test_readers_describe_themselves() -> None:
    assert [r.name for r in READERS] == list(OURS)
    for reader in READERS:
        assert reader.description and "\n" not in reader.description
        assert reader.detection and "\n" not in reader.detection


# --- MemoTrace CSV --------------------------------------------------------------------------

ZW = "wxid_zw8899"
ME = "wxid_me001"


def test_memotrace_csv_private_chat_utf8_bom_crlf() -> None:
    path = MEMO_CSV / "张伟_utf8.csv"
    items = _read(MemoTraceCsvReader(), path)
    assert [_simple(i) for i in items] == [
        ("msg", 2, ZW, "张伟", "2024-05-01T09:30:00+08:00", "现在囤词元，明年翻三倍，名额不多", []),
        ("msg", 3, ME, "小林", "2024-05-01T09:31:00+08:00", "真的假的？", []),
        ("media", 4),  # type 3 image
        ("media", 5),  # type 47 sticker
        (
            "msg",
            6,
            ZW,
            "张伟",
            "2024-05-01T09:34:00+08:00",
            "第一步：注册账号\n\n第二步：加我V：tk_8899",
            [],
        ),
        (
            "msg",
            9,
            ZW,
            "张伟",
            "2024-05-01T09:35:00+08:00",
            "内部认购通道\n限时三折 & 秒到账",
            ["https://token-vip.example/join?id=8"],
        ),
        # a quote (49/57): the reply's own words, not the quoted message
        ("msg", 10, ME, "小林", "2024-05-01T09:36:00+08:00", "这是骗局吧", []),
        ("media", 11),  # 49/6 file
        ("media", 12),  # 49/5 with the payload only in CompressContent
        ("system", 13),  # 10000 revokemsg
        ("empty", 14),
        # 2024-02 ragged rows: 9 values, no Remark/NickName/Sender
        ("msg", 15, "我", "我", "2024-05-01T09:41:00+08:00", "我先问问", []),
        ("msg", 16, "张伟", "张伟", "2024-05-01T09:42:00+08:00", "明天前转账", []),
        # no CreateTime: StrTime, local
        ("msg", 17, ZW, "张伟", "2024-05-01T09:43:00+08:00", "收到请回复", []),
        ("bad", 18),
        ("msg", 19, ZW, "张伟", "2024-05-01T09:45:00+08:00", "最后一条消息", []),
        ("bad", 20),
        ("system", 21),  # 10002 sysmsg
        # CreateTime wins over a broken StrTime
        ("msg", 22, ZW, "张伟", "2024-05-01T09:48:00+08:00", "以纪元时间为准", []),
        # type 49 with plain text content is scored
        (
            "msg",
            23,
            ZW,
            "张伟",
            "2024-05-01T09:49:00+08:00",
            "看看这个项目 https://token-vip.example/p",
            [],
        ),
        ("bad", 24),
    ]
    assert _counts(items) == (11, 7, 3)
    msgs = [i for i in items if isinstance(i, ChatMessage)]
    assert {m.chat for m in msgs} == {"张伟"}  # the file stem without _utf8
    assert {m.source_format for m in msgs} == {"memotrace-csv"}
    assert [m.message_id for m in msgs][:3] == ["101", "102", "105"]
    bad = [i for i in items if isinstance(i, BadRecord)]
    assert {b.source for b in bad} == {str(path)}
    assert "has 4 fields, expected 12" in bad[0].message
    assert "or 9" in bad[0].message
    assert "Type 'abc'" in bad[1].message
    assert "CreateTime 'abc'" in bad[2].message and "StrTime '昨天'" in bad[2].message
    assert str(bad[0]).startswith(f"{path}:18: ")


def test_memotrace_csv_group_chat_gb18030_without_bom() -> None:
    path = MEMO_CSV / "币圈交流群_utf8.csv"
    assert decode_head(path)[1] == "gb18030"
    items = _read(MemoTraceCsvReader(), path)
    assert [_simple(i) for i in items] == [
        ("msg", 2, "wxid_zhou01", "老周", "2024-06-01T08:00:00+08:00", "各位早，今天BTC又涨了", []),
        (
            "msg",
            3,
            "wxid_wang77",
            "王老师",
            "2024-06-01T08:01:00+08:00",
            "私聊我拿内部价Token，三折出",
            [],
        ),
        ("system", 4),
        ("msg", 5, ME, "小林", "2024-06-01T08:03:00+08:00", "群主管管吧，这是骗子", []),
        ("media", 6),
    ]
    assert {i.chat for i in items if isinstance(i, ChatMessage)} == {"币圈交流群"}


def test_memotrace_csv_all_chats_export() -> None:
    """Same header, other meaning: Remark/NickName name the conversation, Sender the member."""
    items = _read(MemoTraceCsvReader(), MEMO_CSV / "messages.csv")
    assert [_simple(i) for i in items] == [
        ("msg", 2, "陈静", "陈静", "2024-05-01T09:30:00+08:00", "周末一起爬山？", []),
        ("msg", 3, "我", "我", "2024-05-01T09:31:00+08:00", "好呀", []),
        (
            "msg",
            4,
            "币圈老李",
            "币圈老李",
            "2024-05-01T10:30:00+08:00",
            "新币上线，内部额度先到先得 https://coin-fast.example/r/77",
            [],
        ),
        ("media", 5),
        ("msg", 6, "我", "我", "2024-05-01T10:32:00+08:00", "别信", []),
    ]
    chats = [i.chat for i in items if isinstance(i, ChatMessage)]
    assert chats == ["陈静", "陈静", "Web3财富群", "Web3财富群"]


def test_memotrace_csv_old_chinese_header() -> None:
    path = MEMO_CSV / "李娜.csv"
    items = _read(MemoTraceCsvReader(), path)
    lina = "wxid_lina520"
    assert [_simple(i) for i in items] == [
        ("system", 2),
        ("msg", 3, lina, lina, "2023-11-20T21:05:11+08:00", "在吗？有个赚钱的项目", []),
        ("media", 4),
        ("msg", 5, lina, lina, "2023-11-20T21:06:02+08:00", "每天收益5%,稳赚不赔", []),
        ("msg", 6, "我", "我", "2023-11-20T21:07:30+08:00", "不感兴趣", []),
        ("bad", 7),
        ("bad", 8),
        ("empty", 9),
    ]
    msgs = [i for i in items if isinstance(i, ChatMessage)]
    assert [m.message_id for m in msgs] == ["9001", "9003", "9004"]
    assert {m.chat for m in msgs} == {"李娜"}
    assert "发送时间 'not-a-time'" in _bad_messages(items)[0]
    assert "has 7 fields, the header has 8" in _bad_messages(items)[1]


def test_memotrace_csv_options_timezone_and_chat() -> None:
    items = _read(MemoTraceCsvReader(), MEMO_CSV / "张伟_utf8.csv", timezone="UTC", chat="案件 42")
    first = items[0]
    assert isinstance(first, ChatMessage)
    assert first.timestamp == "2024-05-01T01:30:00+00:00"  # the same instant, shown in UTC
    assert first.chat == "案件 42"
    with pytest.raises(InputError, match="unknown time zone"):
        _read(MemoTraceCsvReader(), MEMO_CSV / "张伟_utf8.csv", timezone="Mars/Olympus")


def test_memotrace_csv_unparseable_record_is_reported_and_reading_goes_on(
    tmp_path: Path,
) -> None:
    path = tmp_path / "赵六_utf8.csv"
    header = "localId,TalkerId,Type,SubType,IsSender,CreateTime,Status,StrContent,StrTime"
    header += ",Remark,NickName,Sender\n"
    long_text = "囤" * 300
    path.write_text(
        header
        + "1,5,1,0,0,1714527000,2,你好,2024-05-01 09:30:00,赵六,六哥,wxid_zl\n"
        + f"2,5,1,0,0,1714527060,2,{long_text},2024-05-01 09:31:00,赵六,六哥,wxid_zl\n"
        + "3,5,1,0,0,1714527120,2,再见,2024-05-01 09:32:00,赵六,六哥,wxid_zl\n",
        encoding="utf-8",
    )
    old = csv.field_size_limit(200)
    try:
        items = _read(MemoTraceCsvReader(), path)
    finally:
        csv.field_size_limit(old)
    assert [_simple(i)[:2] for i in items] == [("msg", 2), ("bad", 3), ("msg", 4)]
    assert "malformed CSV" in _bad_messages(items)[0]


def test_memotrace_csv_whole_file_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"chatlog_34567\.csv:1: not a MemoTrace CSV"):
        _read(MemoTraceCsvReader(), CHATLOG / "chatlog_34567.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(InputError, match="empty"):
        _read(MemoTraceCsvReader(), empty)
    with pytest.raises(InputError, match="no such file"):
        _read(MemoTraceCsvReader(), tmp_path / "missing.csv")
    header_only = tmp_path / "header_only.csv"
    header_only.write_text(
        "localId,TalkerId,Type,SubType,IsSender,CreateTime,Status,StrContent,StrTime,"
        "Remark,NickName,Sender\r\n",
        encoding="utf-8-sig",
    )
    assert _read(MemoTraceCsvReader(), header_only) == []


# --- MemoTrace TXT --------------------------------------------------------------------------


def test_memotrace_txt_blocks() -> None:
    path = MEMO_TXT / "王芳.txt"
    items = _read(MemoTraceTxtReader(), path)
    assert [_simple(i) for i in items] == [
        (
            "msg",
            1,
            "王芳",
            "王芳",
            "2024-05-01T09:30:00+08:00",
            "姐妹们，我最近在做一个Token项目\n每天稳赚200",
            [],
        ),
        ("msg", 5, "小林", "小林", "2024-05-01T09:31:00+08:00", "什么项目？", []),
        ("media", 8),
        # blank lines inside the body; a header-like line going back in time is content
        (
            "msg",
            11,
            "王芳",
            "王芳",
            "2024-05-01T09:33:00+08:00",
            "第一步：注册账号\n\n第二步：充值500元\n\n2024-04-01 00:00:00 这行不是消息头\n"
            "第三步：坐等收益",
            [],
        ),
        ("system", 19),
        # an indented link card: title and description are text, the url is kept
        (
            "msg",
            21,
            "王芳",
            "王芳",
            "2024-05-01T09:35:00+08:00",
            "星链Token内部认购\n前100名送50万tokens",
            ["https://starlink-token.example/buy?ref=wf"],
        ),
        # a quote: the reply only
        ("msg", 27, "小林", "小林", "2024-05-01T09:36:00+08:00", "我不信", []),
        ("media", 31),
        # a placeholder is removed, WeChat emoji codes are text
        ("msg", 34, "王芳", "王芳", "2024-05-01T09:38:00+08:00", "看这个[旺柴]", []),
        # a system line followed directly by the next header
        ("system", 38),
        ("msg", 39, "张三", "张三", "2024-05-01T09:40:00+08:00", "大家好", []),  # U+200B gone
        # a one-line link card
        (
            "msg",
            42,
            "张三",
            "张三",
            "2024-05-01T09:41:00+08:00",
            "领取空投\n连接钱包即可",
            ["https://airdrop.example/claim"],
        ),
    ]
    assert _counts(items) == (8, 4, 0)
    msgs = [i for i in items if isinstance(i, ChatMessage)]
    assert {m.chat for m in msgs} == {"王芳"}
    assert [m.message_id for m in msgs][:2] == ["1", "5"]
    assert msgs[0].location == "王芳.txt:1"


def test_memotrace_txt_gb18030_crlf() -> None:
    path = MEMO_TXT / "币圈交流群.txt"
    assert decode_head(path)[1] == "gb18030"
    assert b"\r\n" in path.read_bytes()
    items = _read(MemoTraceTxtReader(), path)
    assert [_simple(i) for i in items] == [
        ("msg", 1, "老周", "老周", "2024-06-01T08:00:00+08:00", "早上好", []),
        (
            "msg",
            4,
            "王老师",
            "王老师",
            "2024-06-01T08:01:00+08:00",
            "私聊我拿内部价Token，三折出\n名额有限",
            [],
        ),
        ("system", 8),
        ("media", 10),
    ]


def test_memotrace_txt_text_before_first_header_is_one_bad_record() -> None:
    path = MEMO_TXT / "malformed_preamble.txt"
    items = _read(MemoTraceTxtReader(), path)
    assert [_simple(i) for i in items] == [
        ("bad", 1),
        ("msg", 4, "赵六", "赵六", "2024-07-01T12:00:00+08:00", "你好", []),
    ]
    assert "before the first message header" in _bad_messages(items)[0]


def test_memotrace_txt_local_time_in_the_chosen_zone() -> None:
    items = _read(MemoTraceTxtReader(), MEMO_TXT / "王芳.txt", timezone="Europe/Berlin")
    assert items[0].timestamp == "2024-05-01T09:30:00+02:00"


def test_memotrace_txt_without_any_header_is_an_input_error() -> None:
    with pytest.raises(InputError, match=r"messages\.txt:1: no MemoTrace message header"):
        _read(MemoTraceTxtReader(), PLAIN[2])


# --- PyWxDump CSV ---------------------------------------------------------------------------

GROUP_CSV = PYWX / "group" / "wxid_me001_0_5000.csv"


def test_pywxdump_group_chat_with_users_json() -> None:
    items = _read(PyWxDumpCsvReader(), GROUP_CSV)
    assert [_simple(i) for i in items] == [
        (
            "msg",
            2,
            "wxid_wang77",
            "王老师",
            "2024-06-01T08:01:00+08:00",
            "内部价Token，三折出，私聊",
            [],
        ),
        ("msg", 3, "我", "我", "2024-06-01T08:02:00+08:00", "这是骗子吧", []),
        ("media", 4),  # 图片
        ("media", 5),  # 语音 (multi-line quoted field)
        (
            "msg",
            7,
            "wxid_wang77",
            "王老师",
            "2024-06-01T08:05:00+08:00",
            "星链内部认购\n前100名送50万tokens",
            ["https://starlink-token.example/buy?ref=77"],
        ),
        ("msg", 11, "wxid_zhou01", "老周", "2024-06-01T08:06:00+08:00", "别信他", []),
        ("system", 14),
        ("media", 15),  # 动画表情
        # not in users.json; time written without seconds
        (
            "msg",
            16,
            "wxid_newbie9",
            "wxid_newbie9",
            "2024-06-01T08:09:00+08:00",
            "我是新来的",
            [],
        ),
        ("media", 17),  # 转账
    ]
    msgs = [i for i in items if isinstance(i, ChatMessage)]
    assert {m.chat for m in msgs} == {"币圈交流群"}  # the room wxid, named by users.json
    assert msgs[0].message_id == "6012345678901234501"


def test_pywxdump_without_users_json_keeps_wxids(tmp_path: Path) -> None:
    path = tmp_path / GROUP_CSV.name
    shutil.copy(GROUP_CSV, path)
    msgs = [i for i in _read(PyWxDumpCsvReader(), path) if isinstance(i, ChatMessage)]
    assert [(m.sender_id, m.sender) for m in msgs][:2] == [
        ("wxid_wang77", "wxid_wang77"),
        ("我", "我"),
    ]
    assert {m.chat for m in msgs} == {"34567@chatroom"}


def test_pywxdump_users_json_list_with_other_key_case(tmp_path: Path) -> None:
    path = tmp_path / GROUP_CSV.name
    shutil.copy(GROUP_CSV, path)
    users = [
        {"UserName": "wxid_wang77", "NickName": "Teacher Wang", "Remark": ""},
        {"UserName": "34567@chatroom", "NickName": "币圈群"},
        {"NickName": "no id, ignored"},
        "junk",
    ]
    (tmp_path / "users.json").write_text(json.dumps(users, ensure_ascii=False), encoding="utf-8")
    msgs = [i for i in _read(PyWxDumpCsvReader(), path) if isinstance(i, ChatMessage)]
    assert (msgs[0].sender_id, msgs[0].sender, msgs[0].chat) == (
        "wxid_wang77",
        "Teacher Wang",
        "币圈群",
    )


def test_pywxdump_unreadable_users_json_is_ignored_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / GROUP_CSV.name
    shutil.copy(GROUP_CSV, path)
    (tmp_path / "users.json").write_text('{"wxid_wang77": {', encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="tokenscam.exports.wechat"):
        items = _read(PyWxDumpCsvReader(), path)
    assert _counts(items) == (5, 5, 0)
    assert items[0].sender == "wxid_wang77"
    assert "users.json" in caplog.text


def test_pywxdump_old_layout_content_json() -> None:
    path = PYWX / "old" / "wxid_me001_0_7.csv"
    items = _read(PyWxDumpCsvReader(), path)
    lina = "wxid_lina520"
    assert [_simple(i) for i in items] == [
        ("system", 2),
        ("msg", 3, lina, lina, "2023-11-20T21:05:11+08:00", "在吗？有个赚钱的项目\n日赚500", []),
        ("msg", 4, "我", "我", "2023-11-20T21:05:30+08:00", "不感兴趣", []),
        ("media", 5),
        # hand-joined row (pre-2024 exporter): the comma in the content is put back
        ("msg", 6, lina, lina, "2023-11-20T21:06:02+08:00", "每天收益5%, 稳赚不赔", []),
        ("bad", 7),
        # content that is not JSON at all is the text
        ("msg", 8, lina, lina, "2023-11-20T21:07:00+08:00", "你好", []),
    ]
    assert "content is not the JSON" in _bad_messages(items)[0]


def test_pywxdump_excel_resave_gb18030_and_bad_rows() -> None:
    path = PYWX / "resaved" / "wxid_me001_0_6.csv"
    assert decode_head(path)[1] == "gb18030"
    items = _read(PyWxDumpCsvReader(), path)
    assert [_simple(i) for i in items] == [
        (
            "msg",
            2,
            ZW,
            ZW,
            "2024-05-01T09:30:00+08:00",
            "稳赚不赔的Token项目了解一下",
            [],
        ),
        ("msg", 3, ME, ME, "2024-05-01T09:31:00+08:00", "不了，谢谢", []),
        ("bad", 4),
        ("bad", 5),
        ("msg", 6, ZW, ZW, "2024-05-01T10:05:00+08:00", "最后机会", []),
    ]
    bad = _bad_messages(items)
    assert "has 5 fields, expected 9" in bad[0]
    assert "CreateTime '昨天'" in bad[1]


def test_pywxdump_wrong_header_is_an_input_error() -> None:
    with pytest.raises(InputError, match="not a PyWxDump CSV"):
        _read(PyWxDumpCsvReader(), MEMO_CSV / "张伟_utf8.csv")


# --- chatlog CSV ----------------------------------------------------------------------------


def test_chatlog_csv() -> None:
    path = CHATLOG / "chatlog_34567.csv"
    items = _read(ChatlogCsvReader(), path)
    wang = ("wxid_wang77", "王老师")
    assert [_simple(i) for i in items] == [
        ("msg", 2, *wang, "2025-03-01T10:00:00+08:00", "新币上线，内部额度先到先得", []),
        ("media", 3),  # ![图片](…)
        ("msg", 4, ME, "我", "2025-03-01T10:02:00+08:00", "真的吗\n怎么买", []),
        ("media", 6),  # [语音](…)
        (
            "msg",
            7,
            *wang,
            "2025-03-01T10:04:00+08:00",
            "星链Token内部认购",
            ["https://starlink-token.example/buy"],
        ),
        ("media", 8),  # [名片]
        ("system", 9),  # no sender
        # the WeChat 4.x `wxid:\n` prefix is dropped
        ("msg", 10, "wxid_xiaobai", "小白", "2025-03-01T10:07:00+08:00", "大家好[微笑]", []),
        ("media", 12),  # [文件|…](…)
        ("bad", 13),
        # a link written by the sender is text, not a placeholder
        (
            "msg",
            14,
            "wxid_zhou01",
            "老周",
            "2025-03-01T10:10:00+08:00",
            "[点击领取](https://airdrop.example/claim)",
            [],
        ),
        ("bad", 15),
    ]
    assert _counts(items) == (5, 5, 2)
    msgs = [i for i in items if isinstance(i, ChatMessage)]
    assert {m.chat for m in msgs} == {"币圈交流群"}
    assert msgs[0].message_id == "2"  # no id in the export: the line
    bad = _bad_messages(items)
    assert "has 4 fields, expected 6" in bad[0]
    assert "Time '昨天'" in bad[1]


def test_chatlog_csv_gb18030_resave() -> None:
    items = _read(ChatlogCsvReader(), CHATLOG / "chatlog_resaved.csv")
    assert [_simple(i) for i in items] == [
        ("msg", 2, ZW, "张伟", "2025-03-02T21:00:00+08:00", "带你做USDT搬砖，日入过千", []),
        ("media", 3),
    ]
    assert items[0].chat == "张伟"


def test_chatlog_wrong_header_is_an_input_error() -> None:
    with pytest.raises(InputError, match="not a chatlog CSV"):
        _read(ChatlogCsvReader(), PYWX / "old" / "wxid_me001_0_7.csv")


# --- streaming ------------------------------------------------------------------------------


def test_memotrace_csv_is_read_in_constant_memory(tmp_path: Path) -> None:
    path = tmp_path / "big_utf8.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        fh.write(
            "localId,TalkerId,Type,SubType,IsSender,CreateTime,Status,StrContent,StrTime,"
            "Remark,NickName,Sender\r\n"
        )
        for i in range(30_000):
            fh.write(
                f"{i},1,1,0,0,{1714527000 + i},2,第{i}条消息：现在囤词元以后买不起，加我微信,"
                f"2024-05-01 09:30:00,张伟,伟哥,wxid_zw8899\r\n"
            )
    assert path.stat().st_size > 4_000_000
    tracemalloc.start()
    try:
        n = sum(1 for _ in MemoTraceCsvReader().read(path, ReadOptions()))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert n == 30_000
    assert peak < 1_000_000  # a 4 MB file, well under a quarter of it in memory


# --- sniffing -------------------------------------------------------------------------------


def _our_fixtures() -> list[tuple[str, Path]]:
    out = []
    for name in OURS:
        for path in sorted((EXPORTS / name).rglob("*")):
            if path.is_file() and path.name != "users.json":
                out.append((name, path))
    return out


def _sniffers_matching(path: Path) -> list[str]:
    head, _ = decode_head(path)
    return [r.name for r in READERS if r.sniff(head, path)]


@pytest.mark.parametrize(
    ("name", "path"), _our_fixtures(), ids=lambda v: v.name if isinstance(v, Path) else v
)
def test_our_fixtures_are_detected_by_their_reader_only(name: str, path: Path) -> None:
    if path.name == "malformed_preamble.txt":
        # Detection reads the first line; a file that starts with stray text is read only
        # with the format given explicitly.
        assert _sniffers_matching(path) == []
    else:
        assert _sniffers_matching(path) == [name]


def _other_files() -> list[Path]:
    others = [
        p
        for p in sorted(EXPORTS.rglob("*"))
        if p.is_file() and p.relative_to(EXPORTS).parts[0] not in OURS
    ]
    return others + PLAIN + [PYWX / "group" / "users.json"]


@pytest.mark.parametrize("path", _other_files(), ids=lambda p: str(p.relative_to(p.parents[1])))
def test_our_sniffers_reject_other_files(path: Path) -> None:
    try:
        head, _ = decode_head(path)
    except InputError:
        return  # not text at all: nobody sniffs it
    assert [r.name for r in READERS if r.sniff(head, path)] == []


def test_txt_sniffer_rejects_qq_headers() -> None:
    qq = (
        "2024-01-15 09:00:01 小明(100001)\n大家好\n\n"
        "2024-01-15 09:02:15 老王(100002)\n早\n\n"
        "2024-01-15 09:03:00 Bob<bob@example.com>\nhi\n"
    )
    assert not MemoTraceTxtReader().sniff(qq, Path("chat.txt"))
    memo = "2024-01-15 09:00:01 小明\n大家好\n\n2024-01-15 09:02:15 老王\n早\n"
    assert MemoTraceTxtReader().sniff(memo, Path("chat.txt"))


# --- real exports (read in place, never copied) --------------------------------------------


def _index() -> list[dict[str, Any]]:
    index = REAL / "INDEX.json"
    if not index.is_file():
        return []
    return json.loads(index.read_text(encoding="utf-8"))


def _real(fmt: str) -> list[dict[str, Any]]:
    return [e for e in _index() if e["format"] == fmt]


def test_real_pywxdump_exports_count_every_row() -> None:
    entries = _real("pywxdump-csv")
    if not entries:
        pytest.skip(f"{REAL} is not available")
    reader = BY_NAME["pywxdump-csv"]
    for entry in entries:
        path = REAL / entry["file"]
        assert _sniffers_matching(path) == ["pywxdump-csv"], entry["file"]
        items = list(reader.read(path, ReadOptions()))
        assert len(items) == entry["messages"], entry["file"]
        assert not [i for i in items if isinstance(i, BadRecord)], entry["file"]


def test_real_pywxdump_person_chat_details() -> None:
    path = REAL / "pywxdump-csv" / "weclone_test_person_0_730.csv"
    if not path.is_file():
        pytest.skip(f"{REAL} is not available")
    items = _read(PyWxDumpCsvReader(), path)
    # 65 文本 + 1 引用回复 - 1 empty text; 23 stickers + 5 images; 2 <revokemsg> notices
    assert _counts(items) == (65, 31, 0)
    kinds = [i.kind for i in items if isinstance(i, Skipped)]
    assert (kinds.count("media"), kinds.count("system"), kinds.count("empty")) == (28, 2, 1)
    reply = next(i for i in items if isinstance(i, ChatMessage) and i.location.endswith(":50"))
    assert reply.text == "（我们两个人骑）"  # the quoted message is not the replier's
    assert reply.timestamp == "2024-10-04T21:25:00+08:00"


def test_real_old_layout_with_content_json() -> None:
    path = REAL / "pywxdump-csv" / "weclone_example_chat_v3.csv"
    if not path.is_file():
        pytest.skip(f"{REAL} is not available")
    items = _read(PyWxDumpCsvReader(), path)
    assert _counts(items) == (26, 9, 0)
    assert isinstance(items[0], Skipped) and items[0].kind == "system"
    assert (items[1].sender_id, items[1].timestamp) == ("我", "2023-08-12T23:22:54+08:00")


def test_our_sniffers_reject_real_files_of_other_formats() -> None:
    entries = [e for e in _index() if e["format"] not in OURS]
    if not entries:
        pytest.skip(f"{REAL} is not available")
    for entry in entries:
        assert _sniffers_matching(REAL / entry["file"]) == [], entry["file"]

"""The export pipeline on a reader we control: accounting, summary ranking, handles, masking, report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tokenscam.errors import BadRecord
from tokenscam.exports.base import ChatMessage, ReadOptions, Skipped
from tokenscam.exports.run import run_export

PITCHES = [
    "家人们，词元马上涨价，我这有内部渠道官网价三折，囤一批转手就赚，加微信 tk_boss8888 私聊",
    "最后5个名额！Token就是数字石油，现在不囤以后买不起，收款地址 TQn9Y2khEsLJW1ChVWFMSMeRDow5KcbLSE",
    "日收益3%保本，拉人还有返佣，电话 138 0000 1234，进群 https://t.me/tk_group_vip",
]
WARNING = "大家注意：群里有人说「内部渠道三折，囤Token转手就赚」，这是诈骗话术，千万别信，已举报"


class FakeReader:
    name = "fake"
    description = "a reader for tests"
    detection = "never"

    def __init__(self, items):
        self.items = items

    def sniff(self, head: str, path: Path) -> bool:
        return False

    def read(self, path: Path, options: ReadOptions):
        yield from self.items


def msg(i: int, sender: str, text: str, chat: str = "币圈交流群") -> ChatMessage:
    return ChatMessage(
        "fake",
        chat,
        str(i),
        f"id_{sender}",
        sender,
        f"2026-05-0{1 + i % 3}T09:00:00+08:00",
        text,
        [],
        f"fake.txt:{i}",
    )


@pytest.fixture
def export(tmp_path):
    items = [msg(i, "骗子甲", t) for i, t in enumerate(PITCHES)]
    items += [
        msg(10, "热心群友", WARNING),
        msg(11, "热心群友", "晚上一起吃饭吗"),
        msg(12, "路人<script>alert(1)</script>", "今天天气不错"),
    ]
    items += [
        Skipped("media", "fake.txt:20"),
        Skipped("system", "fake.txt:21"),
        BadRecord("fake.txt", 22, "broken line"),
    ]
    src = tmp_path / "chat.txt"
    src.write_text("x" * 10, encoding="utf-8")
    return FakeReader(items), src


def test_every_item_is_accounted_for(detector, export, tmp_path) -> None:
    reader, src = export
    errors = []
    out = tmp_path / "out.jsonl"
    stats, summary = run_export(
        detector, src, str(out), reader=reader, options=ReadOptions(), on_error=errors.append
    )
    assert (stats.read, stats.scored, sum(stats.skipped.values()), stats.bad) == (9, 6, 2, 1)
    assert summary["counts"]["accounted"] is True
    assert [e.line for e in errors] == [22]
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 6
    assert set(rows[0]) == {
        "source_format",
        "chat",
        "message_id",
        "sender_id",
        "sender",
        "timestamp",
        "text",
        "urls",
        "score",
        "verdict",
        "tactics",
    }


def test_repeat_pitcher_ranks_above_the_one_who_warned(detector, export, tmp_path) -> None:
    reader, src = export
    _, summary = run_export(
        detector, src, str(tmp_path / "o.jsonl"), reader=reader, options=ReadOptions()
    )
    ranked = [s["sender"] for s in summary["senders"]]
    assert ranked[0] == "骗子甲"
    top = summary["senders"][0]
    assert top["flagged"] == 3 and top["messages"] == 3
    assert "tk_boss8888" in top["handles"]["wechat"]
    assert "13800001234" in top["handles"]["phone"]
    assert "TQn9Y2khEsLJW1ChVWFMSMeRDow5KcbLSE" in top["handles"]["wallet_tron"]
    assert (
        top["first"] == "2026-05-01T09:00:00+08:00" and top["last"] == "2026-05-03T09:00:00+08:00"
    )
    warner = next(s for s in summary["senders"] if s["sender"] == "热心群友")
    assert warner["expected_pitches"] < top["expected_pitches"] / 2
    assert summary["chats"][0]["chat"] == "币圈交流群"


def test_mask_pii_hides_personal_data_everywhere(detector, export, tmp_path) -> None:
    reader, src = export
    out, summ = tmp_path / "o.jsonl", tmp_path / "s.json"
    run_export(
        detector,
        src,
        str(out),
        reader=reader,
        options=ReadOptions(),
        mask=True,
        summary_path=str(summ),
    )
    written = out.read_text(encoding="utf-8") + summ.read_text(encoding="utf-8")
    for secret in ("tk_boss8888", "13800001234", "138 0000 1234"):
        assert secret not in written
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    for row in rows:  # evidence offsets still point at the (masked) text
        for t in row["tactics"]:
            for ev in t["evidence"]:
                assert row["text"][ev["start"] : ev["end"]] == ev["text"]


def test_report_is_self_contained_and_escaped(detector, export, tmp_path) -> None:
    reader, src = export
    page = tmp_path / "r.html"
    run_export(
        detector,
        src,
        str(tmp_path / "o.csv"),
        reader=reader,
        options=ReadOptions(),
        out_format="csv",
        report_path=str(page),
    )
    html = page.read_text(encoding="utf-8")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<mark>" in html and "骗子甲" in html
    for external in ("http://", "https://", "src=", "<link"):
        assert external not in html.replace("https://t.me", "")
    assert "Content-Security-Policy" in html


def test_empty_export_is_refused(detector, tmp_path) -> None:
    from tokenscam.errors import InputError

    empty = tmp_path / "empty.txt"
    empty.write_text("")
    with pytest.raises(InputError, match="empty"):
        run_export(
            detector, empty, str(tmp_path / "o.jsonl"), reader=FakeReader([]), options=ReadOptions()
        )

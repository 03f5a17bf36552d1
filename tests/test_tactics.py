from __future__ import annotations

import pytest

from tokenscam.normalise import normalise
from tokenscam.tactics import TACTICS, tactic_names, tag


def active(text: str) -> set[str]:
    return {h.tactic for h in tag(normalise(text).text).active()}


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("趁早入手，以后买不起了", "fomo_scarcity"),
        ("名额有限，手慢无", "fomo_scarcity"),
        ("保本保息，日收益3%", "guaranteed_return"),
        ("每天稳定分红到账", "guaranteed_return"),
        ("我有内部渠道，官方价的3折", "insider_discount"),
        ("拿货后转手卖给工作室赚差价", "resale_profit"),
        ("这就像当年的比特币", "hype_comparison"),
        ("数字黄金，财富自由的机会", "hype_comparison"),
        ("感兴趣加我微信详聊", "contact_diversion"),
        ("加薇信 tk_1234567", "contact_diversion"),
        ("拉人进来有返佣，直推奖励20%", "recruitment"),
        ("提供身份证号和验证码即可领取", "pii_request"),
        ("官方回购通道已开启", "fake_official"),
    ],
)
def test_tactic_is_named(text: str, name: str) -> None:
    assert name in active(text)


def test_every_tactic_has_a_chinese_label() -> None:
    for t in TACTICS:
        assert t.label and all("\u4e00" <= c <= "\u9fff" or c in "/" for c in t.label)
    assert len(set(tactic_names())) == len(TACTICS)


def test_quoted_pitch_is_reported_as_quoted_not_active() -> None:
    text = normalise("警方提醒：「现在不囤以后买不起」是诈骗话术").text
    t = tag(text)
    assert t.warnings
    assert any(h.quoted for h in t.hits)
    assert not t.active()


@pytest.mark.parametrize(
    "text",
    ["您的验证码为123456，请勿泄露给他人", "不要把身份证号发给陌生人", "我们绝不会保本保息"],
)
def test_negated_hits_are_not_active(text: str) -> None:
    t = tag(normalise(text).text)
    assert t.hits and not t.active()


def test_plain_chat_has_no_tactics() -> None:
    assert active("晚上一起吃火锅吗，我订了七点的位子") == set()


def test_spans_cover_the_matched_text() -> None:
    text = normalise("内部渠道三折").text
    hit = tag(text).hits[0]
    assert text[hit.start : hit.end] == "内部渠道"

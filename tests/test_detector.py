from __future__ import annotations

import json

import pytest

from tokenscam import VERDICTS, Detector

SCAM = "我这边有内部渠道，Token官网价的三折，囤一批转手卖给工作室稳赚差价，名额不多，加薇信 tk_88001 私聊"


def test_result_fields(detector) -> None:
    r = detector.score(SCAM)
    assert 0.0 <= r.score <= 1.0
    assert r.verdict in VERDICTS
    assert r.model_version == detector.version
    d = r.to_dict()
    assert set(d) == {"score", "verdict", "tactics", "top_terms", "model_version"}
    json.dumps(d, ensure_ascii=False)


def test_evidence_spans_point_into_the_original(detector) -> None:
    text = "𝐓𝐨𝐤𝐞𝐧 内·部·渠·道价，③折出，加薇信 tk_88001，现在不囤以后买不起"
    r = detector.score(text)
    names = {t.name for t in r.tactics}
    assert {"insider_discount", "contact_diversion", "fomo_scarcity"} <= names
    for t in r.tactics:
        for s in t.evidence:
            assert text[s.start : s.end] == s.text
    insider = next(t for t in r.tactics if t.name == "insider_discount")
    assert any(s.text == "内·部·渠·道" for s in insider.evidence)
    for term in r.top_terms:
        for s in term.evidence:
            assert text[s.start : s.end] == s.text


@pytest.mark.parametrize(
    "text",
    [
        SCAM,
        "免费领取500万Token！填写姓名、身份证号和手机号，再回复收到的验证码即可到账",
        "Token就像十年前的比特币，现在不囤以后买不起，日收益3%保本，进群了解",
    ],
)
def test_plain_pitches_are_flagged(detector, text) -> None:
    assert detector.score(text).verdict != "pass"


@pytest.mark.parametrize(
    "text",
    [
        "今天食堂的红烧肉有点咸，明天换一家吧",
        "【星枢云】价格调整：输入每百万tokens 0.8元，输出每百万tokens 2元，新用户赠送100万tokens额度",
        "警方提醒：近期有人在群里发「内部价拿Token，转手给公司赚差价」，这是诈骗话术，请勿轻信，发现请举报",
        "这个月API账单又超了，上下文太长太烧token，准备换个便宜点的模型",
    ],
)
def test_look_alikes_pass(detector, text) -> None:
    assert detector.score(text).verdict == "pass"


def test_thresholds_can_be_overridden(detector) -> None:
    r = detector.score(SCAM)
    assert detector.score(SCAM, review=0.0, block=1.0).verdict == "review"
    assert detector.score(SCAM, review=0.0, block=0.0).verdict == "block"
    assert detector.score(SCAM, review=1.0, block=1.0).verdict in ("pass", "block")
    assert r.score == detector.score(SCAM, review=0.0, block=0.0).score
    with pytest.raises(ValueError):
        detector.score(SCAM, review=0.9, block=0.1)


def test_score_many_matches_score(detector) -> None:
    texts = [SCAM, "你好", "", "   ", "a" * 100_000, "\x00\x01垃圾\ufffd"]
    many = detector.score_many(texts)
    assert [r.score for r in many] == [detector.score(t).score for t in texts]
    assert many[0].top_terms == ()  # explanations only on request in batches
    assert detector.score_many(texts, explain=True)[0].top_terms


def test_bad_types_are_refused(detector) -> None:
    with pytest.raises(TypeError, match="message 1"):
        detector.score_many(["ok", None])  # type: ignore[list-item]


def test_top_terms_are_reasons(detector) -> None:
    terms = detector.score(SCAM).top_terms
    assert terms and all(t.weight > 0 for t in terms)


def test_loads_a_given_path(tmp_path) -> None:
    from tokenscam.errors import ModelError

    with pytest.raises(ModelError):
        Detector.load(tmp_path / "missing.json")

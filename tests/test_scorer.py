"""The fast scorer must give the pipeline's own probabilities, and explain them."""

from __future__ import annotations

import numpy as np
import pytest

from tokenscam.grams import fold_digits
from tokenscam.model import compile_pipeline
from tokenscam.scorer import CompiledModel

TEXTS = [
    "现在囤词元，明年翻倍，加V私聊 tk_88001",
    "今天食堂的红烧肉有点咸",
    "𝐓𝐨𝐤𝐞𝐧 内·部·渠·道 ③折！！！💰💰💰",
    "警方提醒：「内部价三折」是诈骗话术，请勿轻信",
    "",
    "   \n\t ",
    "a" * 3000,
    "\x00\x01\x02 二进制垃圾 \ufffd\ufffd",
    "同一个词 同一个词 同一个词 内部渠道 内部渠道",
]


@pytest.fixture(scope="module")
def compiled(small_pipeline):
    return CompiledModel(compile_pipeline(small_pipeline))


def test_matches_predict_proba(compiled, small_pipeline, corpus_rows) -> None:
    texts = TEXTS + [r.text for r in corpus_rows[::50]]
    expected = small_pipeline.predict_proba(texts)[:, 1]
    batch = np.array(compiled.scores(texts))
    one_by_one = np.array([compiled.score(t) for t in texts])
    np.testing.assert_allclose(batch, expected, rtol=0, atol=1e-9)
    np.testing.assert_allclose(one_by_one, expected, rtol=0, atol=1e-9)


def test_contributions_add_up_to_the_decision(compiled) -> None:
    a = compiled.analyse(TEXTS[0])
    total = compiled.intercept + sum(c.weight for c in compiled.contributions(a))
    assert total == pytest.approx(a.decision, abs=1e-9)


def test_contribution_spans_point_at_their_terms(compiled) -> None:
    a = compiled.analyse(TEXTS[0])
    text = a.normalised.text
    for c in compiled.contributions(a):
        kind, _, term = c.feature.partition(":")
        if kind == "char":
            for s, e in c.spans:
                assert fold_digits(text[s:e]) == term


def test_one_message_path_is_identical_to_the_batch_path(detector, corpus_rows) -> None:
    """``analyse_one`` (what ``Detector.score`` and the HTTP API use) sums the same numbers in the
    same order as the numpy path for a batch of one: equal to the last bit, not merely close.
    (Within larger batches the tactic features' matrix product may round differently.)"""
    model = detector._model
    texts = TEXTS + ["囤" * 300, "内部渠道 " * 40] + [r.text for r in corpus_rows[::7]]
    batch = model.analyse_many(texts)
    for text, b in zip(texts, batch, strict=True):
        one, numpy_one = model.analyse_one(text), model.analyse(text)
        assert (one.decision, one.score) == (numpy_one.decision, numpy_one.score), text
        assert one.tagging == b.tagging and one.normalised == b.normalised
        assert one.decision == pytest.approx(b.decision, rel=0, abs=1e-12)


def test_both_one_message_paths_agree_with_numpy_at_every_length(detector, corpus_rows) -> None:
    """``decision_one`` sums short messages in Python and hands long ones to ``_decision_long``;
    both must give ``decisions([doc])[0]`` to the last bit on either side of the threshold, with
    and without repeated n-grams (tf > 1), and with units outside the alphabet."""
    from tokenscam.grams import char_units
    from tokenscam.normalise import normalise
    from tokenscam.segment import words

    model = detector._model
    texts = [normalise(r.text).text for r in corpus_rows[::11]]
    joined = "".join(texts)
    # every length from 1 to 3× the threshold, cut from real text; then repeats and unknowns
    docs = [joined[i : i + n] for n in range(1, 3 * model.chars._python_units + 2) for i in (0, 97)]
    docs += texts + ["的的的的的", "哈哈哈哈" * 13, "\u4e00\U0001f600\u9fff" * 9, "ab ab ab"]
    for block, units_of in ((model.chars, char_units), (model.words, lambda d: d)):
        seen = []
        for text in docs:
            doc = text if block.analyzer == "char" else words(text)
            units = units_of(doc)
            numpy_one = float(block.decisions([doc])[0])
            assert block.decision_one(doc) == numpy_one, (block.analyzer, text)
            if len(units):
                assert block._decision_long(units) == numpy_one, (block.analyzer, text)
            seen.append(len(units))
        assert min(seen) <= block._python_units < max(seen)  # both paths were taken

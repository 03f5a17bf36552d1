"""The estimator contract, tested directly: sklearn's check_estimator skips text transformers."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.base import clone

from tokenscam.features import NgramTfidf, Normaliser, TacticFeatures, WordSegmenter
from tokenscam.tactic_features import tactic_feature_names

TEXTS = ["现在囤词元，以后买不起！加V私聊", "今天天气不错", "【星枢云】新用户送100万tokens"]


@pytest.mark.parametrize(
    "make",
    [
        Normaliser,
        WordSegmenter,
        lambda: TacticFeatures(scale=2.0),
        lambda: NgramTfidf(analyzer="char", ngram_range=(1, 3), min_df=1),
        lambda: NgramTfidf(analyzer="word", ngram_range=(1, 2), min_df=1),
    ],
)
def test_estimator_contract(make) -> None:
    est = make()
    params = est.get_params()
    twin = clone(est)
    assert twin.get_params() == params
    assert not [k for k in vars(est) if k.endswith("_") and not k.startswith("__")]
    assert est.fit(TEXTS) is est
    again = pickle.loads(pickle.dumps(est))
    a, b = est.transform(TEXTS), again.transform(TEXTS)
    if hasattr(a, "toarray"):
        np.testing.assert_array_equal(a.toarray(), b.toarray())
    else:
        assert a == b
    est.set_params(**params)
    assert est.get_params() == params


def test_segmenter_refuses_to_run_unfitted() -> None:
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        WordSegmenter().transform(TEXTS)


def test_segmenter_refuses_another_engine() -> None:
    seg = WordSegmenter().fit(TEXTS)
    seg.engine_ = {**seg.engine_, "engine_version": "0.0.0"}
    with pytest.raises(RuntimeError, match="segmenter mismatch"):
        seg.transform(TEXTS)


def test_tactic_block_shape_and_scale() -> None:
    one = TacticFeatures(scale=1.0).fit(TEXTS).transform(TEXTS).toarray()
    two = TacticFeatures(scale=2.0).fit(TEXTS).transform(TEXTS).toarray()
    assert one.shape == (3, len(tactic_feature_names()))
    np.testing.assert_allclose(two, 2 * one)
    names = tactic_feature_names()
    tactic_cols = [i for i, n in enumerate(names) if n.startswith(("tactic:", "pitch:"))]
    assert one[0, tactic_cols].sum() > 0 and one[1, tactic_cols].sum() == 0
    assert one[1, names.index("length:le_8")] == 1.0 and one[0, names.index("length:le_8")] == 0.0


def test_rejects_non_string_items() -> None:
    with pytest.raises(TypeError, match="item 1"):
        Normaliser().transform(["ok", None])


def test_unknown_ngrams_count_in_the_norm() -> None:
    """One known word among unknown ones must not weigh like a message made only of it."""
    vec = NgramTfidf(analyzer="word", ngram_range=(1, 1), min_df=1).fit(["你 好", "你 们", "我 们"])
    alone, diluted = vec.transform(["你", "你 丫 白痴"]).toarray()
    j = vec.vocabulary_["你"]
    assert alone[j] == pytest.approx(1.0)
    assert 0 < diluted[j] < 0.8


def test_unseen_units_become_one_unknown_unit() -> None:
    vec = NgramTfidf(analyzer="char", ngram_range=(1, 2), min_df=1).fit(["内部", "部分"])
    assert vec.alphabet_ == ("内", "分", "部") == tuple(sorted("内部分"))
    # 丫 and 嘿 are both unknown: the same unit, so 「丫嘿」 has one unknown unigram seen twice.
    a, b = vec.transform(["内丫嘿", "内丫丫"]).toarray()
    np.testing.assert_allclose(a, b)


def test_ngram_tfidf_vocabulary_and_limits() -> None:
    docs = ["内部渠道三折", "内部价", "三折优惠"]
    full = NgramTfidf(analyzer="char", ngram_range=(1, 2), min_df=2).fit(docs)
    assert "内" in full.vocabulary_ and "渠" not in full.vocabulary_
    capped = NgramTfidf(analyzer="char", ngram_range=(1, 2), min_df=1, max_features=3).fit(docs)
    assert len(capped.vocabulary_) == 3
    given = NgramTfidf(analyzer="char", vocabulary=["内部", "三折"]).fit(docs)
    assert sorted(given.vocabulary_) == ["三折", "内部"]
    with pytest.raises(ValueError):
        NgramTfidf(analyzer="bytes").fit(docs)

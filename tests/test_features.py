"""The estimator contract, tested directly: sklearn's check_estimator skips text transformers."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.base import clone

from tokenscam.features import (
    Normaliser,
    TacticFeatures,
    WordSegmenter,
    fold_digits,
    tactic_feature_names,
)

TEXTS = ["现在囤词元，以后买不起！加V私聊", "今天天气不错", "【星枢云】新用户送100万tokens"]


@pytest.mark.parametrize("make", [Normaliser, WordSegmenter, lambda: TacticFeatures(scale=2.0)])
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
    assert one[0].sum() > 0 and one[1].sum() == 0


def test_rejects_non_string_items() -> None:
    with pytest.raises(TypeError, match="item 1"):
        Normaliser().transform(["ok", None])


def test_fold_digits() -> None:
    assert fold_digits("日赚3000，139") == "日赚0000，000"

from __future__ import annotations

import pickle
import random

import numpy as np
from sklearn.base import clone
from sklearn.metrics import average_precision_score

from tokenscam.corpus import Row
from tokenscam.model import (
    TrainConfig,
    build_pipeline,
    choose_thresholds,
    fit_pipeline,
    fold_groups,
)


def test_pipeline_is_a_clonable_estimator() -> None:
    pipe = build_pipeline(TrainConfig())
    twin = clone(pipe)
    assert twin.get_params().keys() == pipe.get_params().keys()
    assert pipe.get_params()["features__tactics__scale"] == TrainConfig().tactic_scale


def test_fitted_pipeline_pickles(small_pipeline) -> None:
    texts = ["内部渠道三折出Token", "今天去买菜"]
    again = pickle.loads(pickle.dumps(small_pipeline))
    np.testing.assert_array_equal(again.predict_proba(texts), small_pipeline.predict_proba(texts))


def test_training_learns_and_shuffled_labels_do_not(corpus_rows) -> None:
    """A model trained on shuffled labels must do much worse than one trained on the real ones."""
    cfg = TrainConfig(word_max_features=20_000, char_max_features=20_000, augment_rate=0.0)
    rng = random.Random(0)
    rows = list(corpus_rows)
    rng.shuffle(rows)
    cut = int(len(rows) * 0.7)
    train, test = rows[:cut], rows[cut:]
    y_test = np.array([r.label for r in test])

    real = fit_pipeline(train, cfg)
    shuffled_labels = [r.label for r in train]
    rng.shuffle(shuffled_labels)
    fake = fit_pipeline(
        [
            Row(r.id, r.text, lab, "scam" if lab else "ordinary", r.family)
            for r, lab in zip(train, shuffled_labels, strict=True)
        ],
        cfg,
    )
    texts = [r.text for r in test]
    ap_real = average_precision_score(y_test, real.predict_proba(texts)[:, 1])
    ap_fake = average_precision_score(y_test, fake.predict_proba(texts)[:, 1])
    assert ap_real > 0.95
    assert ap_real - ap_fake > 0.3


def test_family_groups_hold_out_whole_families() -> None:
    rows = [Row(f"zz-{i:04d}", str(i), 0, "ordinary", "fam" + str(i % 3)) for i in range(9)]
    groups = fold_groups(rows, folds=3)
    assert len(set(groups)) == 3 and groups[0] == groups[3] == groups[6]


def test_thresholds_meet_their_precision_targets() -> None:
    rng = np.random.default_rng(0)
    scores = np.concatenate([rng.beta(5, 1, 500), rng.beta(1, 8, 5000), rng.beta(1, 3, 500)])
    labels = np.array([1] * 500 + [0] * 5500)
    kinds = np.array(["scam"] * 500 + ["ordinary"] * 5000 + ["hard_negative"] * 500, dtype=object)
    cfg = TrainConfig(base_rate=0.05)
    t = choose_thresholds(scores, labels, kinds, cfg)
    assert 0 < t["review"] <= t["block"] <= 1
    assert t["review_precision"] >= 0.9 and t["block_precision"] >= 0.99
    assert t["review_recall"] >= t["block_recall"]

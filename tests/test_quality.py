from __future__ import annotations

import numpy as np
import pytest

from tokenscam.model import TrainConfig, choose_thresholds
from tokenscam.quality import (
    expected_calibration_error,
    group_metrics,
    model_metrics,
    reliability_bins,
    threshold_for_precision,
    threshold_for_recall,
)


def test_expected_calibration_error_by_hand() -> None:
    labels = np.array([1, 0, 1, 1, 0, 0])
    scores = np.array([0.95, 0.95, 0.15, 0.15, 0.15, 0.15])
    # bin 9: mean 0.95, half scams → |0.95 − 0.5| × 2/6; bin 1: mean 0.15, half → |0.15 − 0.5| × 4/6
    expected = 0.45 * 2 / 6 + 0.35 * 4 / 6
    assert expected_calibration_error(labels, scores) == pytest.approx(expected)
    assert expected_calibration_error(np.array([1, 0]), np.array([1.0, 0.0])) == 0.0


def test_reliability_bins_cover_the_unit_interval() -> None:
    labels = np.array([1, 0, 1, 0])
    scores = np.array([1.0, 0.05, 0.55, 0.58])
    bins = reliability_bins(labels, scores)
    assert len(bins) == 10 and bins[0]["low"] == 0 and bins[-1]["high"] == 1
    assert sum(b["n"] for b in bins) == 4
    assert bins[9]["n"] == 1 and bins[9]["scam_share"] == 1.0  # a score of 1 is in the last bin
    assert bins[5]["n"] == 2 and bins[5]["scam_share"] == 0.5
    assert bins[3]["mean_score"] is None


def test_non_probabilities_get_no_calibration_figures() -> None:
    labels = np.array([1, 1, 0, 0])
    scores = np.array([0.9, 0.6, 0.4, 0.1])
    m = model_metrics(labels, scores, 0.5, 0.8)
    assert m["ece"] is not None and m["brier"] is not None
    k = model_metrics(labels, scores, 0.5, 0.8, probabilistic=False)
    assert k["ece"] is None and k["brier"] is None and k["pr_auc"] == m["pr_auc"]
    g = group_metrics([1, 1, 0, None], scores, ["a", "a", "a", "b"], 0.5, 0.8)
    assert "ece" in g["a"] and "flagged_share" in g["b"]


def test_threshold_for_precision_as_in_the_data() -> None:
    pos = np.array([0.9, 0.8, 0.7, 0.4])
    neg = np.array([0.75, 0.3, 0.2, 0.1])
    a = threshold_for_precision(pos, neg, 0.99)
    assert a["threshold"] == 0.8 and a["precision"] == 1.0 and a["recall"] == 0.5
    b = threshold_for_precision(pos, neg, 0.75)
    # 0.7 gives 3/4 but 0.75 above it gives 2/3: precision must *stay* above the target.
    assert b["threshold"] == 0.8
    c = threshold_for_precision(pos, neg, 0.65)
    # Lowest: 0.3 still keeps every threshold above it at ≥ 2/3; 0.2 would give 4/7.
    assert c["threshold"] == 0.3 and c["recall"] == 1.0 and c["precision"] == pytest.approx(4 / 6)
    none = threshold_for_precision(np.array([0.1]), np.array([0.9]), 0.99)
    assert none["threshold"] is None and none["recall"] == 0.0


def test_threshold_for_precision_reproduces_the_model_cards_rule() -> None:
    rng = np.random.default_rng(3)
    labels = np.array([1] * 200 + [0] * 2000 + [0] * 300)
    kinds = np.array(["scam"] * 200 + ["ordinary"] * 2000 + ["hard_negative"] * 300, dtype=object)
    scores = np.concatenate([rng.beta(5, 1.5, 200), rng.beta(1, 12, 2000), rng.beta(2, 4, 300)])
    cfg = TrainConfig()
    card = choose_thresholds(scores, labels, kinds, cfg)
    share = cfg.hard_negative_share
    everyday, hard = scores[kinds == "ordinary"], scores[kinds == "hard_negative"]
    for target, name in ((cfg.review_precision, "review"), (cfg.block_precision, "block")):
        ours = threshold_for_precision(
            scores[:200], [(everyday, 1 - share), (hard, share)], target, cfg.base_rate
        )
        assert ours["threshold"] == pytest.approx(card[name], abs=1e-6)
        assert ours["recall"] == pytest.approx(card[f"{name}_recall"], abs=1e-6)


def test_threshold_for_recall() -> None:
    pos = np.array([0.1, 0.9, 0.5, 0.7])
    assert threshold_for_recall(pos, 0.5) == 0.7
    assert threshold_for_recall(pos, 0.51) == 0.5
    assert threshold_for_recall(pos, 1.0) == 0.1
    assert np.mean(pos >= threshold_for_recall(pos, 0.75)) >= 0.75
    with pytest.raises(ValueError):
        threshold_for_recall(np.array([]), 0.5)

from __future__ import annotations

import numpy as np

from tokenscam.evaluate import breakdown, format_table, metrics, score_distribution


def test_metrics_at_the_review_threshold() -> None:
    labels = np.array([1, 1, 1, 0, 0, 0, 0])
    scores = np.array([0.9, 0.8, 0.2, 0.7, 0.1, 0.1, 0.0])
    m = metrics(labels, scores, review=0.5, block=0.85)
    assert m["precision"] == round(2 / 3, 6)
    assert m["recall"] == round(2 / 3, 6)
    assert m["false_positive_rate"] == 0.25
    assert m["block_recall"] == round(1 / 3, 6)
    assert 0 < m["pr_auc"] <= 1 and 0 < m["roc_auc"] <= 1


def test_negative_only_groups_report_false_positive_rate() -> None:
    m = metrics(np.array([0, 0, 0, 0]), np.array([0.9, 0.1, 0.1, 0.1]), 0.5, 0.9)
    assert m["false_positive_rate"] == 0.25 and m["recall"] is None and m["pr_auc"] is None


def test_unlabelled_groups_get_a_distribution() -> None:
    out = breakdown(
        [None, None, 1, 0], np.array([0.1, 0.9, 0.8, 0.2]), ["x", "x", "y", "y"], 0.5, 0.95
    )
    assert out["x"] == score_distribution(np.array([0.1, 0.9]), 0.5, 0.95)
    assert out["y"]["recall"] == 1.0
    assert "x" in format_table("group", out)

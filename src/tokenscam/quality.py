"""Quality figures the published evaluation adds to :mod:`tokenscam.evaluate`.

Calibration (expected calibration error and the reliability diagram's bins), thresholds that
buy a target precision or match a recall, and the per-model metrics the report tabulates. A
score that is not a probability (the keyword filter's) gets no Brier score or calibration error:
those would measure nothing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .evaluate import breakdown, metrics

__all__ = [
    "expected_calibration_error",
    "reliability_bins",
    "model_metrics",
    "group_metrics",
    "threshold_for_precision",
    "threshold_for_recall",
]

_BINS = 10


def _r(x: float | None) -> float | None:
    return None if x is None or math.isnan(x) else round(float(x), 6)


def reliability_bins(
    labels: np.ndarray, scores: np.ndarray, bins: int = _BINS
) -> list[dict[str, Any]]:
    """Equal-width score bins: how many rows, their mean score, and the share that are scams.

    A calibrated model's points lie on the diagonal: of the messages scored about 0.8, about
    80 % are scams.
    """
    labels = np.asarray(labels, dtype=float)
    scores = np.asarray(scores, dtype=float)
    # Bin i holds [i/bins, (i+1)/bins); a score of exactly 1 goes in the last bin.
    idx = np.minimum((scores * bins).astype(int), bins - 1)
    out = []
    for i in range(bins):
        sel = idx == i
        n = int(sel.sum())
        out.append(
            {
                "low": round(i / bins, 6),
                "high": round((i + 1) / bins, 6),
                "n": n,
                "mean_score": _r(scores[sel].mean()) if n else None,
                "scam_share": _r(labels[sel].mean()) if n else None,
            }
        )
    return out


def expected_calibration_error(labels: np.ndarray, scores: np.ndarray, bins: int = _BINS) -> float:
    """Σ over equal-width bins of (share of rows in the bin) × |mean score − scam share|."""
    labels = np.asarray(labels, dtype=float)
    scores = np.asarray(scores, dtype=float)
    if len(scores) == 0:
        return float("nan")
    idx = np.minimum((scores * bins).astype(int), bins - 1)
    total = 0.0
    for i in range(bins):
        sel = idx == i
        if sel.any():
            total += sel.mean() * abs(scores[sel].mean() - labels[sel].mean())
    return float(total)


def model_metrics(
    labels: np.ndarray,
    scores: np.ndarray,
    review: float,
    block: float,
    probabilistic: bool = True,
) -> dict[str, Any]:
    """:func:`tokenscam.evaluate.metrics` plus ``ece``; calibration left out for non-probabilities."""
    out = metrics(labels, scores, review, block)
    if probabilistic and len(labels):
        out["ece"] = _r(expected_calibration_error(labels, scores))
    else:
        out["brier"] = None
        out["ece"] = None
    return out


def group_metrics(
    labels: Sequence[int | None],
    scores: np.ndarray,
    groups: Sequence[str],
    review: float,
    block: float,
    probabilistic: bool = True,
) -> dict[str, dict[str, Any]]:
    """Per group (kind, source): :func:`tokenscam.evaluate.breakdown` plus ``ece``."""
    out = breakdown(labels, scores, groups, review, block)
    lab = np.array([-1 if v is None else int(v) for v in labels])
    grp = np.asarray(groups, dtype=object)
    for g, row in out.items():
        if "precision" not in row:
            continue  # unlabelled group: a score distribution
        keep = (grp == g) & (lab != -1)
        if probabilistic:
            row["ece"] = _r(expected_calibration_error(lab[keep], scores[keep]))
        else:
            row["brier"] = None
            row["ece"] = None
    return out


def _share_at_or_above(values: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    if len(values) == 0:
        return np.zeros(len(thresholds))
    ordered = np.sort(values)
    return 1.0 - np.searchsorted(ordered, thresholds, side="left") / len(ordered)


def threshold_for_precision(
    positives: np.ndarray,
    negatives: np.ndarray | Sequence[tuple[np.ndarray, float]],
    target: float,
    base_rate: float | None = None,
) -> dict[str, Any]:
    """The lowest threshold above which precision stays at or above ``target``, and its recall.

    ``base_rate`` None: precision as in the data given. Otherwise precision when scams are that
    share of the messages scored — ``positives`` then say how often a scam is caught (recall),
    ``negatives`` how often anything else is flagged; given as ``[(scores, share), …]`` they
    are mixed in those shares (everyday text and look-alikes, as the model card does). "Stays",
    as for the card's thresholds: one lucky point on a noisy curve cannot pick the threshold.
    """
    pos = np.asarray(positives, dtype=float)
    if isinstance(negatives, np.ndarray):
        mix = [(np.asarray(negatives, dtype=float), 1.0)]
    else:
        mix = [(np.asarray(s, dtype=float), float(w)) for s, w in negatives]
    neg = np.concatenate([s for s, _ in mix]) if mix else np.array([])
    out: dict[str, Any] = {"target_precision": target, "base_rate": base_rate}
    if len(pos) == 0:
        return {**out, "threshold": None, "precision": None, "recall": None}
    candidates = np.unique(np.concatenate([pos, neg]))
    tpr = _share_at_or_above(pos, candidates)
    fpr = sum(w * _share_at_or_above(s, candidates) for s, w in mix) if mix else 0 * tpr
    if base_rate is None:
        tp, fp = tpr * len(pos), fpr * len(neg)
    else:
        tp, fp = base_rate * tpr, (1 - base_rate) * fpr
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(tp + fp > 0, tp / (tp + fp), 1.0)
    floor = np.minimum.accumulate(precision[::-1])[::-1]
    ok = np.flatnonzero((floor >= target) & (tpr > 0))
    if not len(ok):
        return {**out, "threshold": None, "precision": None, "recall": 0.0}
    i = int(ok[0])
    return {
        **out,
        "threshold": _r(candidates[i]),
        "precision": _r(precision[i]),
        "recall": _r(tpr[i]),
        "false_positive_rate": _r(fpr[i]),
    }


def threshold_for_recall(positives: np.ndarray, recall: float) -> float:
    """The highest threshold that still catches ``recall`` of ``positives``: used to compare a
    baseline with ours at the same recall, so its false alarms can be set side by side."""
    pos = np.sort(np.asarray(positives, dtype=float))[::-1]
    if len(pos) == 0:
        raise ValueError("no positives to match a recall on")
    k = max(1, math.ceil(recall * len(pos) - 1e-9))
    return float(pos[min(k, len(pos)) - 1])

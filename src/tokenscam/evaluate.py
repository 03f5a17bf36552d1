"""Quality figures, computed the same way for the model card, ``tokenscam eval`` and the tests.

"Flagged" means a verdict other than ``pass`` (score ≥ the review threshold): that is what costs a
moderator time, so precision, recall and the false-positive rate are all measured there. Every
table is broken down per ``kind`` and per ``source``, so that a model that has learned where a
text comes from, rather than what it says, shows up.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

__all__ = ["metrics", "breakdown", "score_distribution", "format_table"]


def _r(x: float | None) -> float | None:
    return None if x is None or (isinstance(x, float) and np.isnan(x)) else round(float(x), 6)


def metrics(labels: np.ndarray, scores: np.ndarray, review: float, block: float) -> dict[str, Any]:
    """Metrics for rows with labels 0/1."""
    labels = np.asarray(labels, dtype=int)
    scores = np.asarray(scores, dtype=float)
    flagged = scores >= review
    blocked = scores >= block
    pos = labels == 1
    neg = ~pos
    n_pos, n_neg = int(pos.sum()), int(neg.sum())
    tp = int((flagged & pos).sum())
    fp = int((flagged & neg).sum())
    out: dict[str, Any] = {"n": len(labels), "positives": n_pos, "negatives": n_neg}
    out["precision"] = _r(tp / (tp + fp)) if tp + fp and n_pos else None
    out["recall"] = _r(tp / n_pos) if n_pos else None
    p, r = out["precision"], out["recall"]
    out["f1"] = _r(2 * p * r / (p + r)) if p and r else (0.0 if n_pos else None)
    out["false_positive_rate"] = _r(fp / n_neg) if n_neg else None
    out["block_recall"] = _r(float((blocked & pos).sum()) / n_pos) if n_pos else None
    out["block_false_positive_rate"] = _r(float((blocked & neg).sum()) / n_neg) if n_neg else None
    both = n_pos > 0 and n_neg > 0
    out["pr_auc"] = _r(average_precision_score(labels, scores)) if both else None
    out["roc_auc"] = _r(roc_auc_score(labels, scores)) if both else None
    out["brier"] = _r(brier_score_loss(labels, scores, pos_label=1)) if len(labels) else None
    return out


def score_distribution(scores: np.ndarray, review: float, block: float) -> dict[str, Any]:
    """For unlabelled text (other fraud types): how the model scores it."""
    scores = np.asarray(scores, dtype=float)
    if len(scores) == 0:
        return {"n": 0}
    q = np.quantile(scores, [0.5, 0.9, 0.99])
    return {
        "n": len(scores),
        "mean": _r(scores.mean()),
        "median": _r(q[0]),
        "p90": _r(q[1]),
        "p99": _r(q[2]),
        "flagged_share": _r(float((scores >= review).mean())),
        "blocked_share": _r(float((scores >= block).mean())),
    }


def breakdown(
    labels: Sequence[int | None],
    scores: np.ndarray,
    groups: Sequence[str],
    review: float,
    block: float,
) -> dict[str, dict[str, Any]]:
    """Metrics per group; unlabelled groups get a score distribution instead."""
    out: dict[str, dict[str, Any]] = {}
    lab = np.array([-1 if v is None else int(v) for v in labels])
    grp = np.asarray(groups, dtype=object)
    for g in sorted(set(groups)):
        idx = grp == g
        if (lab[idx] == -1).all():
            out[g] = score_distribution(scores[idx], review, block)
        else:
            keep = idx & (lab != -1)
            out[g] = metrics(lab[keep], scores[keep], review, block)
    return out


_COLUMNS = ("n", "precision", "recall", "f1", "pr_auc", "roc_auc", "brier", "false_positive_rate")


def format_table(title: str, table: dict[str, dict[str, Any]]) -> str:
    """A plain-text table for the terminal."""
    width = max([len(title)] + [len(k) for k in table]) + 2
    lines = [title.ljust(width) + "".join(c[:9].rjust(10) for c in _COLUMNS)]
    for key, row in table.items():
        cells = []
        for c in _COLUMNS:
            v = row.get(c)
            if c == "n":
                cells.append(str(v).rjust(10))
            elif c == "false_positive_rate" and v is None and "flagged_share" in row:
                cells.append(f"{row['flagged_share']:.4f}*".rjust(10))
            else:
                cells.append(("-" if v is None else f"{v:.4f}").rjust(10))
        lines.append(key[: width - 1].ljust(width) + "".join(cells))
    return "\n".join(lines)

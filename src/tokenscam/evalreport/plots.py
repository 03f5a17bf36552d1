"""The report's pictures, drawn with matplotlib's Agg backend into small PNG files.

Labels are ASCII (model, kind and evasion names), so no CJK font is needed on the machine that
draws them. Files carry no timestamps or version stamps: the same numbers give the same bytes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import TokenscamError

__all__ = [
    "pr_plot",
    "roc_plot",
    "reliability_plot",
    "histogram_plot",
    "confusion_plot",
    "evasion_plot",
]

_DPI = 90
_COLOURS = {"tokenscam": "#1f6feb", "naive_bayes": "#bf8700", "keyword": "#8250df"}


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError as exc:  # pragma: no cover - the report extra installs it
        raise TokenscamError(
            "the report's plots need matplotlib: pip install 'tokenscam[report]'"
        ) from exc
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=_DPI, format="png", metadata={"Software": None})
    _pyplot().close(fig)
    return path


def pr_plot(
    path: Path,
    curves: Mapping[str, tuple[np.ndarray, np.ndarray]],
    labels: Mapping[str, str],
    points: Mapping[str, Sequence[tuple[str, float, float]]],
    title: str,
) -> Path:
    """Precision against recall for each model; ``points`` mark operating points
    (name, recall, precision)."""
    from sklearn.metrics import precision_recall_curve

    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4.2))
    for key, (y, s) in curves.items():
        precision, recall, _ = precision_recall_curve(y, s)
        ax.plot(recall, precision, label=labels[key], color=_COLOURS.get(key), lw=1.6)
        for name, r, p in points.get(key, ()):
            ax.plot([r], [p], "o", color=_COLOURS.get(key), ms=5)
            ax.annotate(name, (r, p), textcoords="offset points", xytext=(4, -10), fontsize=8)
    ax.set(xlabel="recall", ylabel="precision", xlim=(0, 1.01), ylim=(0, 1.02), title=title)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left", fontsize=8)
    return _save(fig, path)


def roc_plot(
    path: Path,
    curves: Mapping[str, tuple[np.ndarray, np.ndarray]],
    labels: Mapping[str, str],
    title: str,
) -> Path:
    """True-positive against false-positive rate, the false-positive axis logarithmic: the
    low rates are where a moderation threshold lives."""
    from sklearn.metrics import roc_curve

    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4.2))
    floor = 1e-5
    for key, (y, s) in curves.items():
        fpr, tpr, _ = roc_curve(y, s)
        ax.plot(np.maximum(fpr, floor), tpr, label=labels[key], color=_COLOURS.get(key), lw=1.6)
    ax.set_xscale("log")
    ax.set(xlabel="false-positive rate (log)", ylabel="recall", xlim=(floor, 1), ylim=(0, 1.02))
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    return _save(fig, path)


def reliability_plot(
    path: Path, bins: Mapping[str, list[dict[str, Any]]], labels: Mapping[str, str], title: str
) -> Path:
    """Share of scams against mean score per score bin; the diagonal is perfect calibration."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5, 4.2))
    ax.plot([0, 1], [0, 1], ls="--", color="#999", lw=1, label="perfectly calibrated")
    for key, rows in bins.items():
        pts = [(b["mean_score"], b["scam_share"], b["n"]) for b in rows if b["n"]]
        if not pts:
            continue
        x, y, n = (np.array(v, dtype=float) for v in zip(*pts, strict=True))
        ax.plot(x, y, "-o", color=_COLOURS.get(key), label=labels[key], lw=1.4, ms=3)
        ax.scatter(x, y, s=8 + 60 * np.sqrt(n / n.max()), color=_COLOURS.get(key), alpha=0.35)
    ax.set(xlabel="mean score in bin", ylabel="share that are scams", xlim=(0, 1), ylim=(0, 1))
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)
    return _save(fig, path)


def histogram_plot(
    path: Path,
    scores: np.ndarray,
    groups: Sequence[str],
    review: float,
    block: float,
    title: str,
) -> Path:
    """Our score distribution per group (kind), log counts, with both thresholds marked."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.6))
    edges = np.linspace(0, 1, 41)
    grp = np.asarray(groups, dtype=object)
    for g in sorted(set(groups)):
        ax.hist(
            scores[grp == g],
            bins=edges,
            histtype="step",
            lw=1.5,
            label=f"{g} ({(grp == g).sum():,})",
        )
    ax.axvline(review, color="#9a6700", ls="--", lw=1, label=f"review {review:.3f}")
    ax.axvline(block, color="#cf222e", ls="--", lw=1, label=f"block {block:.4f}")
    ax.set_yscale("log")
    ax.set(xlabel="tokenscam score", ylabel="messages (log)", xlim=(0, 1), title=title)
    ax.legend(fontsize=8)
    return _save(fig, path)


def confusion_plot(path: Path, confusion: Mapping[str, Mapping[str, int]], title: str) -> Path:
    """The 2×2 counts at the stored review and block thresholds, side by side."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(7, 3.3))
    for ax, name in zip(axes, ("review", "block"), strict=True):
        c = confusion[name]
        grid = np.array([[c["tn"], c["fp"]], [c["fn"], c["tp"]]], dtype=float)
        ax.imshow(np.log1p(grid), cmap="Blues")
        for (i, j), v in np.ndenumerate(grid):
            dark = np.log1p(v) > 0.6 * np.log1p(grid.max())
            ax.text(
                j, i, f"{int(v):,}", ha="center", va="center", color="white" if dark else "black"
            )
        ax.set_xticks([0, 1], ["pass", "flagged"])
        ax.set_yticks([0, 1], ["not scam", "scam"])
        ax.set_title(f"at {name}")
    fig.suptitle(title, fontsize=10)
    return _save(fig, path)


def evasion_plot(path: Path, evasion: Mapping[str, Any], labels: Mapping[str, str]) -> Path:
    """Held-out recall after each evasion, per model; the tick marks recall before."""
    plt = _pyplot()
    names = list(evasion["transforms"])
    models = [m for m in labels if any(m in evasion["transforms"][n]["models"] for n in names)]
    fig, ax = plt.subplots(figsize=(7, 0.16 * len(names) * max(1, len(models)) + 1.0))
    height = 0.8 / max(1, len(models))
    y = np.arange(len(names))
    for j, m in enumerate(models):
        after = [evasion["transforms"][n]["models"][m]["recall_after"] for n in names]
        before = evasion["transforms"][names[0]]["models"][m]["recall_before"] if names else 0
        pos = y + (j - (len(models) - 1) / 2) * height
        ax.barh(pos, after, height=height, color=_COLOURS.get(m), label=labels[m])
        ax.vlines(
            before,
            pos.min() - height / 2,
            pos.max() + height / 2,
            colors=_COLOURS.get(m),
            linestyles=":",
            lw=1,
        )
    ax.set_yticks(y, names, fontsize=8)
    ax.invert_yaxis()
    ax.set(xlabel="recall of held-out scams at the review threshold (dotted: before)", xlim=(0, 1))
    # Above the bars, so it hides none of them.
    ax.legend(fontsize=8, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=len(models))
    ax.grid(axis="x", alpha=0.3)
    return _save(fig, path)

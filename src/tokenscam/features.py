"""The model's custom feature steps, as scikit-learn transformers.

Each step is stateless apart from what ``fit`` learns, takes all its settings in ``__init__``
without touching them (the estimator contract: ``get_params``, ``clone`` and pickling just work),
and never holds a tokenizer: the segmenter is a process-wide resource loaded on first use.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin

from .normalise import normalise
from .segment import engine_info, segment
from .tactics import TACTICS, Tagging, tag

__all__ = [
    "NgramTfidf",
    "Normaliser",
    "WordSegmenter",
    "TacticFeatures",
    "char_ngrams",
    "fold_digits",
    "tactic_feature_names",
    "tactic_feature_values",
    "word_ngrams",
]

_DIGITS = str.maketrans("123456789", "000000000")


def fold_digits(text: str) -> str:
    """Every digit becomes 0: 日赚3000 and 日赚5000 are the same pitch; 1380000 and 1391111 too."""
    return text.translate(_DIGITS)


_WHITESPACE_RUNS = re.compile(r"\s\s+")


def char_ngrams(text: str, lo: int, hi: int) -> list[str]:
    """Character n-grams (n = lo … hi) of digit-folded text, whitespace runs collapsed."""
    text = _WHITESPACE_RUNS.sub(" ", fold_digits(text))
    n = len(text)
    out = list(text) if lo == 1 else []
    for k in range(max(lo, 2), min(hi, n) + 1):
        out += [text[i : i + k] for i in range(n - k + 1)]
    return out


def word_ngrams(tokens: list[str], lo: int, hi: int) -> list[str]:
    """Word n-grams (n = lo … hi) over already-split tokens, joined by a space."""
    out = list(tokens) if lo == 1 else []
    for k in range(max(lo, 2), min(hi, len(tokens)) + 1):
        out += [" ".join(tokens[i : i + k]) for i in range(len(tokens) - k + 1)]
    return out


class NgramTfidf(TransformerMixin, BaseEstimator):
    """Sublinear TF-IDF over word or character n-grams, l2-normalised over ALL of a message's
    n-grams — including those outside the vocabulary.

    scikit-learn's vectorizers drop unknown n-grams before normalising, so a message with one
    known word and three unknown ones becomes a unit vector on that word: 「你丫白痴」 weighed as
    much as a pitch made of nothing but 「你」. Here each unknown n-gram counts in the norm as if
    it had been seen once, so a message is only as strong as the share of it the model knows.

    ``analyzer="word"`` takes space-separated words (from :class:`WordSegmenter`);
    ``analyzer="char"`` takes normalised text.
    """

    def __init__(
        self,
        analyzer: str = "char",
        ngram_range: tuple[int, int] = (1, 3),
        min_df: int = 2,
        max_features: int | None = None,
        vocabulary: Sequence[str] | None = None,
    ) -> None:
        self.analyzer = analyzer
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.max_features = max_features
        self.vocabulary = vocabulary

    def grams(self, doc: str) -> list[str]:
        lo, hi = self.ngram_range
        if self.analyzer == "word":
            return word_ngrams(doc.split(), lo, hi)
        if self.analyzer == "char":
            return char_ngrams(doc, lo, hi)
        raise ValueError(f"analyzer must be 'word' or 'char', got {self.analyzer!r}")

    def fit(self, X: Iterable[str], y: Any = None) -> NgramTfidf:
        docs = _as_texts(X)
        df: Counter[str] = Counter()
        for doc in docs:
            df.update(set(self.grams(doc)))
        if self.vocabulary is not None:
            terms = sorted(set(self.vocabulary))
        else:
            kept = [(t, c) for t, c in df.items() if c >= self.min_df]
            kept.sort(key=lambda tc: (-tc[1], tc[0]))
            if self.max_features is not None:
                kept = kept[: self.max_features]
            terms = sorted(t for t, _ in kept)
        n = len(docs)
        self.vocabulary_ = {t: i for i, t in enumerate(terms)}
        self.idf_ = np.array([math.log((1 + n) / (1 + df.get(t, 0))) + 1.0 for t in terms])
        # An unknown n-gram counts as one seen in a single document.
        self.oov_idf_ = math.log((1 + n) / 2) + 1.0
        return self

    def transform(self, X: Iterable[str]) -> sp.csr_matrix:
        vocab = self.vocabulary_
        idf = self.idf_
        oov_sq = self.oov_idf_ * self.oov_idf_
        indptr = [0]
        indices: list[int] = []
        data: list[float] = []
        for doc in _as_texts(X):
            sq = 0.0
            row_idx: list[int] = []
            row_val: list[float] = []
            for g, c in Counter(self.grams(doc)).items():
                tf = 1.0 if c == 1 else 1.0 + math.log(c)
                j = vocab.get(g)
                if j is None:
                    sq += tf * tf * oov_sq
                else:
                    v = tf * idf[j]
                    sq += v * v
                    row_idx.append(j)
                    row_val.append(v)
            norm = math.sqrt(sq) if sq > 0 else 1.0
            indices.extend(row_idx)
            data.extend(v / norm for v in row_val)
            indptr.append(len(indices))
        out = sp.csr_matrix(
            (np.asarray(data, dtype=np.float64), np.asarray(indices, dtype=np.int64), indptr),
            shape=(len(indptr) - 1, len(vocab)),
        )
        out.sort_indices()
        return out

    def get_feature_names_out(self, input_features: Sequence[str] | None = None) -> np.ndarray:
        return np.array(sorted(self.vocabulary_, key=self.vocabulary_.__getitem__), dtype=object)


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
            "length:log",
            "length:le_8",
            "length:le_16",
            "length:le_32",
        ]
        + [f"pitch:{t.name}" for t in TACTICS]
    )


def tactic_feature_values(tagging: Tagging, length: int) -> list[float]:
    """One row of tactic features. Counts are log-damped: the fifth 加微信 adds little.

    ``length`` is the normalised text's length. The ``pitch:`` block is each tactic *on an investment subject without a warning around it*:
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
    # A four-character line has few n-grams, each weighing a lot after l2 normalisation; these
    # let the model learn how much a short message without tactics should count.
    row += [math.log1p(length), float(length <= 8), float(length <= 16), float(length <= 32)]
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
        rows = [[v * scale for v in tactic_feature_values(tag(t), len(t))] for t in _as_texts(X)]
        width = len(tactic_feature_names())
        return sp.csr_matrix(np.asarray(rows, dtype=np.float64).reshape(len(rows), width))

    def get_feature_names_out(self, input_features: Sequence[str] | None = None) -> np.ndarray:
        return np.array(tactic_feature_names(), dtype=object)

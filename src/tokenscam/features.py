"""The model's custom feature steps, as scikit-learn transformers.

Each step is stateless apart from what ``fit`` learns, takes all its settings in ``__init__``
without touching them (the estimator contract: ``get_params``, ``clone`` and pickling just work),
and never holds a tokenizer: the segmenter is a process-wide resource loaded on first use.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Container, Iterable, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin

from .grams import char_ngrams, word_ngrams
from .normalise import normalise
from .segment import engine_info, words
from .tactic_features import tactic_feature_names, tactic_feature_values
from .tactics import tag

__all__ = ["NgramTfidf", "Normaliser", "TacticFeatures", "WordSegmenter"]


class NgramTfidf(TransformerMixin, BaseEstimator):
    """Sublinear TF-IDF over word or character n-grams, l2-normalised over ALL of a message's
    n-grams — including those outside the vocabulary.

    scikit-learn's vectorizers drop unknown n-grams before normalising, so a message with one
    known word and three unknown ones becomes a unit vector on that word: 「你丫白痴」 weighed as
    much as a pitch made of nothing but 「你」. Here every unknown n-gram counts in the norm as if
    seen in one document, so a message is only as strong as the share of it the model knows.
    Units (characters or words) that appear in no vocabulary n-gram become one unknown unit
    (:data:`~tokenscam.grams.UNK`) before n-grams are formed.

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

    def _grams(self, doc: str, alphabet: Container[str] | None = None) -> list[str]:
        lo, hi = self.ngram_range
        if self.analyzer == "word":
            return word_ngrams(doc.split(), lo, hi, alphabet)
        if self.analyzer == "char":
            return char_ngrams(doc, lo, hi, alphabet)
        raise ValueError(f"analyzer must be 'word' or 'char', got {self.analyzer!r}")

    def _units(self, term: str) -> list[str]:
        return term.split(" ") if self.analyzer == "word" else list(term)

    def fit(self, X: Iterable[str], y: Any = None) -> NgramTfidf:
        docs = _as_texts(X)
        df: Counter[str] = Counter()
        for doc in docs:
            df.update(set(self._grams(doc)))
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
        # Sorted, not a set: a set pickles in hash order, which changes from process to process,
        # and the artifact must be byte-for-byte reproducible.
        self.alphabet_ = tuple(sorted({u for t in terms for u in self._units(t)}))
        self.idf_ = np.array([math.log((1 + n) / (1 + df.get(t, 0))) + 1.0 for t in terms])
        # An unknown n-gram counts as one seen in a single document.
        self.oov_idf_ = math.log((1 + n) / 2) + 1.0
        return self

    def transform(self, X: Iterable[str]) -> sp.csr_matrix:
        vocab = self.vocabulary_
        idf = self.idf_
        oov_sq = self.oov_idf_ * self.oov_idf_
        alphabet = frozenset(self.alphabet_)
        indptr = [0]
        indices: list[int] = []
        data: list[float] = []
        for doc in _as_texts(X):
            sq = 0.0
            row_idx: list[int] = []
            row_val: list[float] = []
            for g, c in Counter(self._grams(doc, alphabet)).items():
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
        return [" ".join(words(t)) for t in _as_texts(X)]


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

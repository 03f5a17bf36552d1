"""What tokenscam has to beat, measured in the same run on the same data.

* :class:`KeywordFilter` — what moderators use today: a block list
  (``resources/keyword_lexicon.txt``) matched with an Aho-Corasick automaton; a message is
  flagged when it contains a listed term. Its "score" is the number of distinct terms found.
* :class:`NaiveBayesBaseline` — the textbook model: jieba words (the project's own segmenter,
  on the raw lower-cased text: no normalisation, no tactic rules), TF-IDF over word 1–2-grams,
  multinomial naive Bayes. Trained on the same corpus and held out the same way as ours.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

from .errors import TokenscamError
from .segment import segment

__all__ = ["KeywordFilter", "NaiveBayesBaseline", "default_lexicon", "heldout_baseline_scores"]


def _need(package: str) -> TokenscamError:
    return TokenscamError(f"the baselines need {package}: pip install 'tokenscam[report]'")


@lru_cache(maxsize=1)
def default_lexicon() -> tuple[str, ...]:
    """The block list shipped for the keyword baseline, in file order, folded like the text."""
    raw = resources.files("tokenscam").joinpath("resources/keyword_lexicon.txt").read_text("utf-8")
    terms: dict[str, None] = {}
    for line in raw.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            terms[_fold(line)] = None
    return tuple(terms)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


class KeywordFilter:
    """A moderator's block list: flagged when any term occurs (NFKC, case-insensitive).

    Its score is ``k / (k + 1)`` for ``k`` distinct terms found — not a probability, but in
    [0, 1) and ordered like ``k``, so the same curves and tables apply: one term reaches the
    ``review`` threshold (½), two the ``block`` threshold (⅔).
    """

    review_threshold = 1 / 2
    block_threshold = 2 / 3
    probabilistic = False

    def __init__(self, terms: Iterable[str] | None = None) -> None:
        try:
            import ahocorasick
        except ImportError as exc:  # pragma: no cover - the report extra installs it
            raise _need("pyahocorasick") from exc
        self.terms = tuple(dict.fromkeys(_fold(t) for t in (terms or default_lexicon()) if t))
        if not self.terms:
            raise ValueError("a keyword filter needs at least one term")
        self._automaton = ahocorasick.Automaton()
        for i, term in enumerate(self.terms):
            self._automaton.add_word(term, i)
        self._automaton.make_automaton()

    def matches(self, text: str) -> list[str]:
        """Distinct listed terms in ``text``, in order of first occurrence."""
        found: dict[int, None] = {}
        for _, i in self._automaton.iter(_fold(text)):
            found.setdefault(i, None)
        return [self.terms[i] for i in found]

    def counts(self, texts: Sequence[str]) -> np.ndarray:
        """Number of distinct listed terms in each message."""
        auto = self._automaton
        out = np.empty(len(texts), dtype=np.float64)
        for j, text in enumerate(texts):
            out[j] = len({i for _, i in auto.iter(_fold(text))})
        return out

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        """``k / (k + 1)`` for ``k`` distinct listed terms (see the class docstring)."""
        k = self.counts(texts)
        return k / (k + 1.0)


class NaiveBayesBaseline:
    """jieba words → TF-IDF (word 1–2-grams) → multinomial naive Bayes.

    Deliberately plain — what a team would build first — with settings fixed in advance
    (``alpha=0.1``, ``min_df=2``), not tuned on any evaluation data.
    """

    probabilistic = True

    def __init__(self, alpha: float = 0.1, ngram_max: int = 2, min_df: int = 2) -> None:
        self.alpha = alpha
        self.ngram_max = ngram_max
        self.min_df = min_df
        self.review_threshold = 0.5
        self.block_threshold = 0.5

    @staticmethod
    def tokens(texts: Iterable[str]) -> list[str]:
        """Each text as its jieba words joined by spaces (the vectorizer splits on them)."""
        return [" ".join(segment(t.lower())) for t in texts]

    def fit_tokens(self, docs: Sequence[str], labels: Sequence[int]) -> NaiveBayesBaseline:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.naive_bayes import MultinomialNB

        self.vectorizer_ = TfidfVectorizer(
            tokenizer=str.split,
            token_pattern=None,
            lowercase=False,
            ngram_range=(1, self.ngram_max),
            min_df=self.min_df,
            sublinear_tf=True,
            dtype=np.float64,
        )
        x = self.vectorizer_.fit_transform(docs)
        self.classifier_ = MultinomialNB(alpha=self.alpha).fit(x, np.asarray(labels, dtype=int))
        return self

    def fit(self, texts: Sequence[str], labels: Sequence[int]) -> NaiveBayesBaseline:
        return self.fit_tokens(self.tokens(texts), labels)

    def scores_tokens(self, docs: Sequence[str]) -> np.ndarray:
        if not hasattr(self, "classifier_"):
            raise TokenscamError("the naive Bayes baseline is not fitted")
        proba = self.classifier_.predict_proba(self.vectorizer_.transform(docs))
        return np.asarray(proba[:, list(self.classifier_.classes_).index(1)], dtype=np.float64)

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        """Probability of a scam, end to end from raw text (what the speed figure times)."""
        return self.scores_tokens(self.tokens(texts))

    def set_thresholds(self, thresholds: dict[str, Any]) -> None:
        """Use thresholds chosen on its own held-out scores (the rule ours are chosen by)."""
        self.review_threshold = float(thresholds["review"])
        self.block_threshold = float(thresholds["block"])


def heldout_baseline_scores(
    docs: Sequence[str], labels: Sequence[int], fold: np.ndarray, **params: Any
) -> tuple[np.ndarray, list[NaiveBayesBaseline]]:
    """Held-out naive Bayes scores on the folds ours were held out on; the fold models too
    (each scores the held-out variants of the evasion suite)."""
    labels_arr = np.asarray(labels, dtype=int)
    scores = np.full(len(docs), np.nan)
    models: list[NaiveBayesBaseline] = []
    for k in range(int(fold.max()) + 1):
        test = np.flatnonzero(fold == k)
        train = np.flatnonzero(fold != k)
        model = NaiveBayesBaseline(**params).fit_tokens([docs[i] for i in train], labels_arr[train])
        scores[test] = model.scores_tokens([docs[i] for i in test])
        models.append(model)
    return scores, models

"""Score with the fitted pipeline's own numbers, fast, without scikit-learn.

The model is linear: two TF-IDF n-gram blocks and the tactic features → logistic regression →
sigmoid calibration. Training flattens the fitted pipeline into plain arrays
(:func:`tokenscam.model.compile_pipeline`); :class:`CompiledModel` scores from those arrays:

* the per-message work that must be Python (normalising, tagging, segmenting) runs per message;
* the n-gram blocks run over a whole batch in numpy: every unit (character or word) becomes a
  small integer id, every n-gram a packed 64-bit key, and one sort, one binary search against
  the vocabulary's sorted keys and two ``bincount`` sums give every message's share of the
  decision value at once — about 6× faster than a dictionary lookup per n-gram in Python.

Loading needs neither scikit-learn nor unpickling of estimator objects. ``tests/test_scorer.py``
checks that the probabilities agree with ``Pipeline.predict_proba`` to 1e-9.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import reduce
from itertools import chain, repeat
from operator import add
from typing import Any

import numpy as np

from .grams import UNK, char_units, fold_digits
from .normalise import Normalised, normalise
from .segment import engine_info, segment_spans, words
from .tactic_features import tactic_feature_names, tactic_feature_values
from .tactics import Tagging, tag

__all__ = ["CompiledModel", "Analysis", "Contribution", "COMPILED_FORMAT", "pack_block"]

COMPILED_FORMAT = 2
_MSG_BITS = 16  # messages per numpy batch < 2**16
_UNIT = re.compile(r"\s\s+|.", re.S)  # one character, or one whitespace run
_BATCH = 4096
# ``1 + log(count)`` exactly as numpy computes it in ``_Block.decisions`` (for ``decision_one``).
_TF_TABLE = (1.0 + np.log(np.arange(1, 257, dtype=np.int64))).tolist()


# Up to this many units a message's n-grams are summed faster in Python than in numpy (measured:
# half the time at 10 units, even at 30, twice the time at 60).
_PYTHON_UNITS = 32


def _tf(count: int) -> float:
    if count <= len(_TF_TABLE):
        return _TF_TABLE[count - 1]
    return float((1.0 + np.log(np.array([count], dtype=np.int64)))[0])


@dataclass(frozen=True, slots=True)
class Contribution:
    """One feature's share of the decision value (log-odds units, before calibration)."""

    feature: str  # "word:内部渠道", "char:囤词", "tactic:insider_discount"
    weight: float
    spans: tuple[tuple[int, int], ...]  # [start, end) in the normalised text


@dataclass(frozen=True, slots=True)
class Analysis:
    """What scoring one message found: kept so that evidence needs no second pass."""

    normalised: Normalised
    tagging: Tagging
    decision: float
    score: float


def pack_block(
    analyzer: str,
    terms: Sequence[str],
    idf: Any,
    coef: Any,
    units: Sequence[str],
    ngram_range: tuple[int, int],
    oov_idf: float,
) -> dict[str, Any]:
    """One n-gram block as the arrays :class:`_Block` scores with (done once, at training time):
    unit ids ``1…A`` in ``units`` order (``A+1`` is the unknown unit), each term packed into a
    64-bit key of ``bits`` per unit, keys sorted, with ``idf²`` and ``idf·coef`` alongside."""
    unit_id = {u: i + 1 for i, u in enumerate(units)}
    bits = (len(units) + 1).bit_length()
    if bits * int(ngram_range[1]) + _MSG_BITS > 63:
        raise ValueError(
            f"{analyzer} vocabulary too large to pack {ngram_range[1]}-grams in 64 bits"
        )

    def key(term: str) -> int:
        k = 0
        for i, u in enumerate(term.split(" ") if analyzer == "word" else term):
            k |= unit_id[u] << (bits * i)
        return k

    keys = np.array([key(t) for t in terms], dtype=np.int64)
    order = np.argsort(keys, kind="stable")
    if len(keys) > 1 and np.any(keys[order][1:] == keys[order][:-1]):
        raise ValueError(f"{analyzer} vocabulary has terms that pack to the same key")
    idf = np.asarray(idf, dtype=np.float64)
    coef = np.asarray(coef, dtype=np.float64)
    return {
        "analyzer": analyzer,
        "units": list(units),
        "ngram_range": (int(ngram_range[0]), int(ngram_range[1])),
        "oov_idf": float(oov_idf),
        "terms": [terms[i] for i in order.tolist()],
        "keys": keys[order],
        "sq": (idf * idf)[order],
        "w": (idf * coef)[order],
    }


class _Block:
    """One n-gram block (see :func:`pack_block`); unknown n-grams add ``oov_idf²`` to the norm
    only."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.analyzer: str = data["analyzer"]
        self.terms: list[str] = list(data["terms"])
        self.keys = np.asarray(data["keys"], dtype=np.int64)
        self.sq = np.asarray(data["sq"], dtype=np.float64)
        self.w = np.asarray(data["w"], dtype=np.float64)
        units: list[str] = list(data["units"])
        self.lo, self.hi = (int(x) for x in data["ngram_range"])
        self.oov_sq = float(data["oov_idf"]) ** 2
        self.unk_id = len(units) + 1
        self.bits = self.unk_id.bit_length()
        self.unit_id = {u: i + 1 for i, u in enumerate(units)}
        if self.analyzer == "char":
            cmap = np.full(0x110000, self.unk_id, dtype=np.int64)
            cmap[np.array([ord(u) for u in units], dtype=np.int64)] = np.arange(1, len(units) + 1)
            self.cmap = cmap
        self._explain: dict[str, tuple[float, float]] | None = None

    def ids(self, docs: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
        """Unit ids of a batch (concatenated) and each message's number of units."""
        if self.analyzer == "char":
            units = [char_units(t) for t in docs]
            lens = np.fromiter(map(len, units), dtype=np.int64, count=len(units))
            cps = np.frombuffer("".join(units).encode("utf-32-le"), dtype=np.uint32)
            return self.cmap[cps], lens
        get, unk = self.unit_id.get, self.unk_id
        lens = np.fromiter(map(len, docs), dtype=np.int64, count=len(docs))
        ids = np.fromiter(
            map(get, chain.from_iterable(docs), repeat(unk)), dtype=np.int64, count=int(lens.sum())
        )
        return ids, lens

    def decisions(self, docs: Sequence[Any]) -> np.ndarray:
        """Each message's share of the decision value: ``(Σ tf·idf·coef) / ‖tf·idf‖``."""
        ids, lens = self.ids(docs)
        n_msgs = len(lens)
        if len(ids) == 0:
            return np.zeros(n_msgs)
        msg = np.repeat(np.arange(n_msgs, dtype=np.int64), lens)
        remaining = np.repeat(np.cumsum(lens), lens) - np.arange(len(ids), dtype=np.int64)
        parts = []
        for k in range(self.lo, self.hi + 1):
            at = np.flatnonzero(remaining >= k)
            key = ids[at].copy()
            for j in range(1, k):
                key |= ids[at + j] << (self.bits * j)
            parts.append((key << _MSG_BITS) | msg[at])
        packed, counts = np.unique(np.concatenate(parts), return_counts=True)
        owner = packed & ((1 << _MSG_BITS) - 1)
        keys = packed >> _MSG_BITS
        pos = np.searchsorted(self.keys, keys)
        np.minimum(pos, len(self.keys) - 1, out=pos)
        found = self.keys[pos] == keys
        tf = 1.0 + np.log(counts)
        sq = np.bincount(
            owner, weights=np.where(found, self.sq[pos], self.oov_sq) * tf * tf, minlength=n_msgs
        )
        dot = np.bincount(owner, weights=np.where(found, self.w[pos], 0.0) * tf, minlength=n_msgs)
        return np.divide(dot, np.sqrt(sq), out=np.zeros(n_msgs), where=sq > 0)

    def decision_one(self, doc: Any) -> float:
        """``decisions([doc])[0]``, bit for bit; a short message in plain Python.

        For one short message the dozen numpy calls of :meth:`decisions` cost more than the work
        (≈ 60 µs a block); the HTTP API scores one message per request. The same numbers are
        summed in the same order (n-gram keys ascending, as ``np.unique`` sorts them, each
        ``bincount`` sum a running total), so the result is identical, not just close. Longer
        messages go to :meth:`decisions`, which is faster for them.
        """
        get, unk = self.unit_id.get, self.unk_id
        ids = [get(u, unk) for u in (char_units(doc) if self.analyzer == "char" else doc)]
        if not ids:
            return 0.0
        if len(ids) > _PYTHON_UNITS:
            return float(self.decisions([doc])[0])
        keys: list[int] = []
        grams = ids  # keys of the k-grams, built from the (k-1)-grams' keys
        for k in range(1, self.hi + 1):
            if k > 1:
                shift = self.bits * (k - 1)
                grams = [g | (u << shift) for g, u in zip(grams, ids[k - 1 :], strict=False)]
            if k >= self.lo:
                keys += grams
        index, sq_of, w_of = self._lookup()
        oov_sq = self.oov_sq
        counted = sorted(Counter(keys).items())
        at = [index.get(key) for key, _ in counted]
        tf = [1.0 if c == 1 else _tf(c) for _, c in counted]
        # the running totals of np.bincount (not sum(): Python 3.12 compensates its rounding)
        sq = reduce(
            add,
            [(oov_sq if a is None else sq_of[a]) * t * t for a, t in zip(at, tf, strict=True)],
            0.0,
        )
        dot = reduce(
            add, [(0.0 if a is None else w_of[a]) * t for a, t in zip(at, tf, strict=True)], 0.0
        )
        return dot / math.sqrt(sq) if sq > 0 else 0.0

    def _lookup(self) -> tuple[dict[int, int], list[float], list[float]]:
        """The vocabulary as a dict (key → position) and Python floats, made on first use."""
        table = self.__dict__.get("_lookup_table")
        if table is None:
            table = (
                {k: i for i, k in enumerate(self.keys.tolist())},
                self.sq.tolist(),
                self.w.tolist(),
            )
            self.__dict__["_lookup_table"] = table
        return table

    # -- explanations (one message, Python) --------------------------------------------------------

    def explain(self, grams: list[tuple[str, int, int]]) -> list[Contribution]:
        """Contributions of the known n-grams among ``grams`` (text, start, end)."""
        if self._explain is None:
            self._explain = {
                t: (s, w)
                for t, s, w in zip(self.terms, self.sq.tolist(), self.w.tolist(), strict=True)
            }
        table = self._explain
        counts = Counter(g for g, _, _ in grams)
        sq = 0.0
        for g, c in counts.items():
            tf = 1.0 if c == 1 else 1.0 + math.log(c)
            sq += tf * tf * (table[g][0] if g in table else self.oov_sq)
        if sq <= 0.0:
            return []
        norm = math.sqrt(sq)
        where: dict[str, list[tuple[int, int]]] = {}
        for g, s, e in grams:
            if g in table:
                where.setdefault(g, []).append((s, e))
        out = []
        for g, places in where.items():
            c = counts[g]
            tf = 1.0 if c == 1 else 1.0 + math.log(c)
            out.append(Contribution(f"{self.analyzer}:{g}", tf * table[g][1] / norm, tuple(places)))
        return out


class CompiledModel:
    """A trained tokenscam model, as plain arrays, for fast and explainable scoring."""

    def __init__(self, data: dict[str, Any]) -> None:
        if data.get("format") != COMPILED_FORMAT:
            raise ValueError(
                f"compiled model format {data.get('format')}, expected {COMPILED_FORMAT}"
            )
        if dict(data["engine"]) != engine_info():
            raise RuntimeError(
                f"segmenter mismatch: model was trained with {data['engine']}, "
                f"this process has {engine_info()}"
            )
        if list(data["tactic_features"]) != tactic_feature_names():
            raise ValueError("tactic features of the model do not match this version's tactics")
        self.intercept = float(data["intercept"])
        self.cal_a, self.cal_b = (float(v) for v in data["calibration"])
        self.words = _Block(data["words"])
        self.chars = _Block(data["chars"])
        self.tactic_coef = np.asarray(data["tactic_coef"], dtype=np.float64)

    # -- scoring -------------------------------------------------------------------------------

    def probability(self, decision: Any) -> Any:
        """Calibrated probability ``1 / (1 + exp(-(a·decision + b)))`` (scalar or array)."""
        z = self.cal_a * np.asarray(decision, dtype=np.float64) + self.cal_b
        p = np.exp(-np.logaddexp(0.0, -z))
        return float(p) if p.ndim == 0 else p

    def analyse_many(self, texts: Sequence[str]) -> list[Analysis]:
        out: list[Analysis] = []
        for start in range(0, len(texts), _BATCH):
            out.extend(self._analyse_batch(texts[start : start + _BATCH]))
        return out

    def _analyse_batch(self, texts: Sequence[str]) -> list[Analysis]:
        norms = [normalise(t) for t in texts]
        ntexts = [n.text for n in norms]
        taggings = [tag(t) for t in ntexts]
        tokens = [words(t) for t in ntexts]
        rows = [tactic_feature_values(g, len(t)) for g, t in zip(taggings, ntexts, strict=True)]
        decision = (
            self.intercept
            + self.words.decisions(tokens)
            + self.chars.decisions(ntexts)
            + np.asarray(rows, dtype=np.float64).reshape(len(rows), -1) @ self.tactic_coef
        )
        scores = self.probability(decision)
        return [
            Analysis(n, g, float(d), float(s))
            for n, g, d, s in zip(
                norms, taggings, decision.tolist(), np.atleast_1d(scores).tolist(), strict=True
            )
        ]

    def analyse(self, text: str) -> Analysis:
        return self._analyse_batch([text])[0]

    def analyse_one(self, text: str) -> Analysis:
        """:meth:`analyse`, identical to the last bit, with the n-gram blocks summed in Python
        (:meth:`_Block.decision_one`): about twice as fast for one message."""
        norm = normalise(text)
        ntext = norm.text
        tagging = tag(ntext)
        row = tactic_feature_values(tagging, len(ntext))
        decision = (
            self.intercept
            + np.array([self.words.decision_one(words(ntext))])
            + np.array([self.chars.decision_one(ntext)])
            + np.asarray([row], dtype=np.float64).reshape(1, -1) @ self.tactic_coef
        )
        score = np.atleast_1d(self.probability(decision))
        return Analysis(norm, tagging, float(decision[0]), float(score[0]))

    def score(self, text: str) -> float:
        return self.analyse(text).score

    def scores(self, texts: Sequence[str]) -> list[float]:
        return [a.score for a in self.analyse_many(texts)]

    # -- explanation -----------------------------------------------------------------------------

    def contributions(self, analysis: Analysis) -> list[Contribution]:
        """Every feature's share of the decision value, with where it sits in the normalised text."""
        text = analysis.normalised.text
        out: list[Contribution] = []

        spans = segment_spans(text)
        alphabet = self.words.unit_id
        tokens = [w if w in alphabet else UNK for w in (fold_digits(w) for w, _, _ in spans)]
        grams = [
            (" ".join(tokens[i : i + n]), spans[i][1], spans[i + n - 1][2])
            for n in range(self.words.lo, self.words.hi + 1)
            for i in range(len(tokens) - n + 1)
        ]
        out.extend(self.words.explain(grams))

        out.extend(self.chars.explain(self._char_grams(text)))

        values = tactic_feature_values(analysis.tagging, len(text))
        by_tactic: dict[str, list[tuple[int, int]]] = {}
        for h in analysis.tagging.active():
            by_tactic.setdefault(h.tactic, []).append((h.start, h.end))
        for name, c, v in zip(
            tactic_feature_names(), self.tactic_coef.tolist(), values, strict=True
        ):
            if v:
                key = name.split(":", 1)[1]
                out.append(Contribution(name, c * v, tuple(by_tactic.get(key, ()))))
        return out

    def _char_grams(self, text: str) -> list[tuple[str, int, int]]:
        """The character n-grams of ``text`` with the span each covers (a collapsed whitespace
        run counts as one space covering the whole run)."""
        kept = [
            (" " if m.end() - m.start() > 1 else m.group(), m.start(), m.end())
            for m in _UNIT.finditer(fold_digits(text))
        ]
        calpha = self.chars.unit_id
        units = [c if c in calpha else UNK for c, _, _ in kept]
        ends = [end for _, _, end in kept]
        return [
            ("".join(units[i : i + n]), kept[i][1], ends[i + n - 1])
            for n in range(self.chars.lo, self.chars.hi + 1)
            for i in range(len(units) - n + 1)
        ]

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
import sys
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial, reduce
from itertools import chain, repeat
from operator import add, lshift, mul, or_
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
# Up to this many n-grams (units × n-gram lengths) a message is scored faster in Python than in
# numpy (measured on real messages, one at a time: Python 2–3× faster at 10 n-grams, even at about
# 50, half as fast at 100; numpy's fixed cost is ≈ 20 µs a block).
_PYTHON_GRAMS = 48
# ``1 + log(count)`` exactly as numpy computes it in ``_Block.decisions``, for ``decision_one``,
# indexed by the count (no n-gram occurs more often than the message has units).
_TF_OF_COUNT = [math.nan] + (1.0 + np.log(np.arange(1, _PYTHON_GRAMS + 1, dtype=np.int64))).tolist()


def _added_in_order(values: Iterable[float]) -> float:
    """``Σ values`` as ``np.bincount`` adds its weights: one by one, left to right, from 0.0."""
    return reduce(add, values, 0.0)


# The same, faster: ``sum`` of floats adds that way up to Python 3.11 (3.12 compensates rounding,
# which would change the last bit).
_running_sum: Callable[[Iterable[float]], float] = (
    partial(sum, start=0.0) if sys.version_info < (3, 12) else _added_in_order
)


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
        self._python_units = _PYTHON_GRAMS // (self.hi - self.lo + 1)

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
        """``decisions([doc])[0]``, bit for bit; a message of up to ``_PYTHON_GRAMS`` n-grams in
        plain Python.

        For one short message the numpy calls cost more than the work (≈ 20 µs a block in
        :meth:`_decision_long`, 45 µs in :meth:`decisions`); the HTTP API scores one message per
        request. The same numbers are summed in the same order (n-gram keys ascending, as
        ``np.unique`` sorts them, each ``bincount`` sum a running total), so the result is
        identical, not just close. Longer messages go to :meth:`_decision_long`.
        """
        units = char_units(doc) if self.analyzer == "char" else doc
        if len(units) > self._python_units:
            return self._decision_long(units)
        if not units:
            return 0.0
        ids = list(map(self.unit_id.get, units, repeat(self.unk_id)))
        keys = list(ids) if self.lo == 1 else []
        grams = ids  # keys of the k-grams, built from the (k-1)-grams' keys
        for k in range(2, self.hi + 1):
            grams = list(map(or_, grams, map(lshift, ids[k - 1 :], repeat(self.bits * (k - 1)))))
            if k >= self.lo:
                keys += grams
        index, unknown, sq_of, w_of = self._lookup()
        if len(set(keys)) == len(keys):  # the usual case: every n-gram once, tf = 1
            keys.sort()
            at = list(map(index.get, keys, repeat(unknown)))
            sq = _running_sum(map(sq_of.__getitem__, at))
            dot = _running_sum(map(w_of.__getitem__, at))
        else:
            counts = Counter(keys)
            keys = sorted(counts)
            tf = list(map(_TF_OF_COUNT.__getitem__, map(counts.__getitem__, keys)))
            at = list(map(index.get, keys, repeat(unknown)))
            # idf² · tf · tf and idf·coef · tf, multiplied in numpy's order
            sq = _running_sum(map(mul, map(mul, map(sq_of.__getitem__, at), tf), tf))
            dot = _running_sum(map(mul, map(w_of.__getitem__, at), tf))
        return dot / math.sqrt(sq) if sq > 0 else 0.0

    def _decision_long(self, units: Any) -> float:
        """:meth:`decisions` for one message's units, without the batch bookkeeping (message
        numbers, packing): the same keys, the same ``np.unique`` order and the same ``bincount``
        sums, so the same bits, in about half the time."""
        if self.analyzer == "char":
            ids = self.cmap[np.frombuffer(units.encode("utf-32-le"), dtype=np.uint32)]
        else:
            ids = np.fromiter(
                map(self.unit_id.get, units, repeat(self.unk_id)), dtype=np.int64, count=len(units)
            )
        parts = [ids] if self.lo == 1 else []
        grams = ids
        for k in range(2, self.hi + 1):
            grams = grams[: len(ids) - k + 1] | (ids[k - 1 :] << (self.bits * (k - 1)))
            if k >= self.lo:
                parts.append(grams)
        # np.unique(..., return_counts=True), spelled out: its own bookkeeping costs more here
        every = np.sort(np.concatenate(parts))
        n = len(every)
        first = np.empty(n, dtype=bool)
        first[:1] = True
        np.not_equal(every[1:], every[:-1], out=first[1:])
        starts = np.flatnonzero(first)
        keys = every[starts]
        counts = np.empty_like(starts)
        np.subtract(starts[1:], starts[:-1], out=counts[:-1])
        counts[-1:] = n - starts[-1:]
        pos = self.keys.searchsorted(keys)
        np.minimum(pos, len(self.keys) - 1, out=pos)
        found = self.keys[pos] == keys
        tf = 1.0 + np.log(counts)
        owner = np.zeros(len(keys), dtype=np.int64)
        sq = np.bincount(
            owner, weights=np.where(found, self.sq[pos], self.oov_sq) * tf * tf, minlength=1
        )
        dot = np.bincount(owner, weights=np.where(found, self.w[pos], 0.0) * tf, minlength=1)
        sq1, dot1 = float(sq[0]), float(dot[0])
        return dot1 / math.sqrt(sq1) if sq1 > 0 else 0.0

    def _lookup(self) -> tuple[dict[int, int], int, array[float], array[float]]:
        """The vocabulary for :meth:`decision_one`, made on first use: key → position, the
        position of every unknown n-gram (one past the end), and ``idf²`` and ``idf·coef`` by
        position with ``oov_idf²`` and 0.0 in that last place. Plain arrays of doubles are
        compact, so fewer of the lookups miss the CPU cache than with a dict of floats."""
        table = self.__dict__.get("_lookup_table")
        if table is None:
            n = len(self.keys)
            table = (
                {k: i for i, k in enumerate(self.keys.tolist())},
                n,
                array("d", self.sq.tolist() + [self.oov_sq]),
                array("d", self.w.tolist() + [0.0]),
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
        # The batch path's sum, term by term, in the same order: numpy adds float64 as Python does.
        decision = (
            self.intercept
            + self.words.decision_one(words(ntext))
            + self.chars.decision_one(ntext)
            + float((np.array([row], dtype=np.float64) @ self.tactic_coef)[0])
        )
        score = self.probability(np.array([decision]))
        return Analysis(norm, tagging, decision, float(score[0]))

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

"""The public face of the library: a message in, a calibrated score, a verdict and evidence out."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .artifact import load_artifact, load_pipeline
from .errors import ModelError
from .normalise import Normalised
from .scorer import Analysis, CompiledModel, Contribution
from .tactics import tactic

__all__ = ["Detector", "Result", "Span", "TacticResult", "Term", "VERDICTS"]

VERDICTS = ("pass", "review", "block")
# Punctuation and spaces do carry weight, but "！" is no reason a person can act on.
_READABLE = re.compile(r"[0-9a-z\u3400-\u9fff]", re.IGNORECASE)
_TOP_TERMS = 8


@dataclass(frozen=True, slots=True)
class Span:
    """``[start, end)`` in the ORIGINAL message, and the characters there."""

    start: int
    end: int
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "text": self.text}


@dataclass(frozen=True, slots=True)
class TacticResult:
    name: str
    label: str
    evidence: tuple[Span, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "evidence": [s.to_dict() for s in self.evidence],
        }


@dataclass(frozen=True, slots=True)
class Term:
    """A word, character n-gram or tactic that pushed the score up, and where it is."""

    term: str
    weight: float
    evidence: tuple[Span, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "term": self.term,
            "weight": round(self.weight, 4),
            "evidence": [s.to_dict() for s in self.evidence],
        }


@dataclass(frozen=True, slots=True)
class Result:
    score: float
    verdict: str
    tactics: tuple[TacticResult, ...]
    model_version: str
    top_terms: tuple[Term, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": round(self.score, 6),
            "verdict": self.verdict,
            "tactics": [t.to_dict() for t in self.tactics],
            "top_terms": [t.to_dict() for t in self.top_terms],
            "model_version": self.model_version,
        }


def _span(norm: Normalised, start: int, end: int) -> Span:
    s, e = norm.to_original(start, end)
    return Span(s, e, norm.original[s:e])


class Detector:
    """A loaded model and its thresholds.

    >>> det = Detector.load()                       # doctest: +SKIP
    >>> det.score("我有内部渠道，Token打三折，加V详聊").verdict  # doctest: +SKIP
    'block'
    """

    def __init__(
        self, compiled: CompiledModel, card: dict[str, Any], artifact: dict[str, Any] | None = None
    ) -> None:
        self._model = compiled
        self.card = card
        self._artifact = artifact
        thresholds = card.get("thresholds") or {}
        try:
            self.review_threshold = float(thresholds["review"])
            self.block_threshold = float(thresholds["block"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError("model card has no review/block thresholds") from exc
        self.version = str(card.get("version", "unknown"))

    @classmethod
    def load(cls, path: str | Path | None = None) -> Detector:
        """Load the shipped model (the newest card in ``models/``) or the one at ``path``."""
        artifact, card = load_artifact(path)
        return cls(CompiledModel(artifact["compiled"]), card, artifact)

    @property
    def pipeline(self) -> Any:
        """The fitted scikit-learn pipeline (unpickled on first use; scoring does not need it)."""
        if self._artifact is None:
            raise ModelError("this detector was built without its artifact")
        return load_pipeline(self._artifact)

    @property
    def thresholds(self) -> dict[str, float]:
        return {"review": self.review_threshold, "block": self.block_threshold}

    def verdict(self, score: float, review: float | None = None, block: float | None = None) -> str:
        r = self.review_threshold if review is None else review
        b = self.block_threshold if block is None else block
        if not 0.0 <= r <= b <= 1.0:
            raise ValueError(f"thresholds must satisfy 0 <= review ({r}) <= block ({b}) <= 1")
        if score >= b:
            return "block"
        if score >= r:
            return "review"
        return "pass"

    def score(
        self,
        text: str,
        *,
        review: float | None = None,
        block: float | None = None,
        explain: bool = True,
    ) -> Result:
        """Score one message; ``explain`` adds the top contributing terms."""
        # analyse_one: the same numbers as the batch path, without numpy's per-call cost
        analysis = self._model.analyse_one(_check_text(text, 0))
        return self._result(analysis, review, block, explain)

    def score_many(
        self,
        texts: Iterable[str],
        *,
        review: float | None = None,
        block: float | None = None,
        explain: bool = False,
    ) -> list[Result]:
        """Score a batch. Tactics and their evidence are always included; top terms on request."""
        if review is not None or block is not None:
            self.verdict(0.0, review, block)  # validate once, before the batch
        checked = [_check_text(t, i) for i, t in enumerate(texts)]
        return [self._result(a, review, block, explain) for a in self._model.analyse_many(checked)]

    def scores(self, texts: Sequence[str]) -> list[float]:
        """Just the probabilities, for evaluation."""
        return self._model.scores([_check_text(t, i) for i, t in enumerate(texts)])

    def _result(
        self, a: Analysis, review: float | None, block: float | None, explain: bool
    ) -> Result:
        norm = a.normalised
        grouped: dict[str, list[Span]] = {}
        for h in a.tagging.active():
            grouped.setdefault(h.tactic, []).append(_span(norm, h.start, h.end))
        tactics = tuple(
            TacticResult(name, tactic(name).label, tuple(spans)) for name, spans in grouped.items()
        )
        terms = self._top_terms(a) if explain else ()
        return Result(a.score, self.verdict(a.score, review, block), tactics, self.version, terms)

    def _top_terms(self, a: Analysis) -> tuple[Term, ...]:
        contributions = [
            c
            for c in self._model.contributions(a)
            if c.weight > 0 and c.spans and _READABLE.search(c.feature.partition(":")[2])
        ]
        contributions.sort(key=lambda c: -c.weight)
        chosen: list[Contribution] = []
        covered: set[int] = set()
        for c in contributions:
            positions = {i for s, e in c.spans for i in range(s, e)}
            if positions <= covered:
                continue  # a longer or stronger term already shows these characters
            chosen.append(c)
            covered |= positions
            if len(chosen) == _TOP_TERMS:
                break
        norm = a.normalised
        out = []
        for c in chosen:
            kind, _, name = c.feature.partition(":")
            is_tactic = kind in ("tactic", "pitch") and name in _tactic_names()
            label = tactic(name).label if is_tactic else name
            out.append(Term(label, c.weight, tuple(_span(norm, s, e) for s, e in c.spans)))
        return tuple(out)


def _tactic_names() -> set[str]:
    from .tactics import tactic_names

    return set(tactic_names())


def _check_text(text: Any, index: int) -> str:
    if not isinstance(text, str):
        raise TypeError(f"message {index}: expected str, got {type(text).__name__}")
    return text

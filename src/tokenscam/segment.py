"""Word segmentation: jieba's dictionary and algorithm (through its Rust binding) plus our words.

The engine is loaded once per process and never pickled: a fitted model stores only the name
and dictionary hash of the engine it was trained with (see :func:`engine_info`), and refuses to
score with a different one, so training and scoring always segment identically.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from importlib import resources
from importlib.metadata import version
from typing import Any

from .grams import fold_digits

__all__ = ["ENGINE", "engine_info", "segment", "segment_spans", "words"]

ENGINE = "rjieba"


def _userdict_text() -> str:
    return resources.files("tokenscam").joinpath("resources/userdict.txt").read_text("utf-8")


def _userdict_words(text: str) -> list[tuple[str, int | None]]:
    words = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        word, _, freq = line.partition(" ")
        words.append((word, int(freq) if freq.strip() else None))
    return words


@lru_cache(maxsize=1)
def _engine() -> Any:
    import rjieba

    jieba = rjieba.Jieba()
    for word, freq in _userdict_words(_userdict_text()):
        jieba.add_word(word, freq, None)
    return jieba


@lru_cache(maxsize=1)
def engine_info() -> dict[str, str]:
    """What a model card records so that a model is only ever scored with its own segmenter."""
    return {
        "engine": ENGINE,
        "engine_version": version(ENGINE),
        "hmm": "true",
        "userdict_sha256": hashlib.sha256(_userdict_text().encode("utf-8")).hexdigest(),
    }


def segment(text: str) -> list[str]:
    """Words of an already-normalised text, whitespace dropped."""
    return [w for w in _engine().cut(text, True) if not w.isspace()]


def words(text: str) -> list[str]:
    """The words the model's word n-grams are made of: segmented, digits folded, no whitespace."""
    return fold_digits(" ".join(_engine().cut(text, True))).split()


def segment_spans(text: str) -> list[tuple[str, int, int]]:
    """Words with their ``[start, end)`` offsets in ``text``, whitespace dropped."""
    spans = []
    pos = 0
    for w in _engine().cut(text, True):
        end = pos + len(w)
        if not w.isspace():
            spans.append((w, pos, end))
        pos = end
    return spans

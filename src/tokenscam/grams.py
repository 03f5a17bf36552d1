"""The n-grams the model reads: pure functions shared by training and scoring.

Digits are folded (日赚3000 and 日赚5000 are the same pitch), whitespace runs collapse to one space,
and units (characters or words) outside the model's alphabet become one unknown unit, ``UNK``:
a character or word the model has never seen carries no information of its own, only its share
of the message.
"""

from __future__ import annotations

import re
from collections.abc import Container

__all__ = ["UNK", "fold_digits", "char_units", "char_ngrams", "word_ngrams", "join_grams"]

UNK = "\uffff"
_DIGITS = str.maketrans("123456789", "000000000")
_WHITESPACE_RUNS = re.compile(r"\s\s+")


_HAS_DIGIT = re.compile("[1-9]").search


def fold_digits(text: str) -> str:
    """Every ASCII digit becomes 0."""
    return text.translate(_DIGITS) if _HAS_DIGIT(text) else text


def char_units(text: str) -> str:
    """The characters the character n-grams are made of: digits folded, whitespace runs collapsed."""
    return _WHITESPACE_RUNS.sub(" ", fold_digits(text))


def _ngrams(units: list[str], lo: int, hi: int, sep: str) -> list[str]:
    out = list(units) if lo == 1 else []
    n = len(units)
    for k in range(max(lo, 2), min(hi, n) + 1):
        out += [sep.join(units[i : i + k]) for i in range(n - k + 1)]
    return out


def char_ngrams(text: str, lo: int, hi: int, alphabet: Container[str] | None = None) -> list[str]:
    """Character n-grams (n = lo … hi) of :func:`char_units`; characters not in ``alphabet``
    (when given) become :data:`UNK`."""
    units = list(char_units(text))
    if alphabet is not None:
        units = [u if u in alphabet else UNK for u in units]
    return _ngrams(units, lo, hi, "")


def word_ngrams(
    words: list[str], lo: int, hi: int, alphabet: Container[str] | None = None
) -> list[str]:
    """Word n-grams (n = lo … hi) joined by a space; words not in ``alphabet`` become :data:`UNK`."""
    if alphabet is not None:
        words = [w if w in alphabet else UNK for w in words]
    return _ngrams(words, lo, hi, " ")


def join_grams(units: list[str], analyzer: str) -> str:
    return ("" if analyzer == "char" else " ").join(units)

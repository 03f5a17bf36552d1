"""Run many named regular expressions over short texts in about one pass.

Python's ``re`` skips ahead quickly only when every alternative of a pattern starts with a
literal character. Our tactic rules do not (they start with groups and character classes), and a
naive combined pattern costs ~70 µs on a 40-character message because every alternative is tried
at every position. :class:`Scanner` splits each pattern into its top-level alternatives, works out
the characters each alternative can start with, and at each position runs only the few
alternatives that can start there. Matches are identical to ``finditer`` over the combined
pattern ``(?P<name1>…)|(?P<name2>…)``: leftmost, first listed wins, non-overlapping.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

try:  # Python ≥ 3.11
    import re._constants as _c
    import re._parser as _p
except ImportError:  # pragma: no cover
    import sre_constants as _c  # type: ignore[no-redef]
    import sre_parse as _p  # type: ignore[no-redef]

__all__ = ["Scanner", "split_alternatives"]

_ANY = None  # an alternative that may start with any character


def split_alternatives(pattern: str) -> list[str]:
    """Split a pattern at its top-level ``|`` (outside groups and character classes)."""
    parts: list[str] = []
    depth = 0
    in_class = False
    start = 0
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            if ch == "]":
                in_class = False
        elif ch == "[":
            in_class = True
            if pattern[i + 1 : i + 2] == "]":
                i += 1
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
        i += 1
    parts.append(pattern[start:])
    return parts


def _first_of_class(items: Sequence[tuple[object, object]]) -> set[str] | None:
    chars: set[str] = set()
    for op, av in items:
        if op is _c.LITERAL:
            chars.add(chr(av))  # type: ignore[arg-type]
        elif op is _c.RANGE:
            lo, hi = av  # type: ignore[misc]
            if hi - lo > 2000:
                return _ANY
            chars.update(chr(c) for c in range(lo, hi + 1))
        elif op is _c.CATEGORY and av is _c.CATEGORY_DIGIT:
            chars.update("0123456789")
        else:
            return _ANY
    return chars


def _first(items: Sequence[tuple[object, object]]) -> tuple[set[str] | None, bool]:
    """First characters of a parsed sequence, and whether the sequence can match empty."""
    chars: set[str] = set()
    for op, av in items:
        if op is _c.LITERAL:
            chars.add(chr(av))  # type: ignore[arg-type]
            return chars, False
        if op is _c.IN:
            sub = _first_of_class(av)  # type: ignore[arg-type]
            if sub is _ANY:
                return _ANY, False
            return chars | sub, False
        if op is _c.BRANCH:
            nullable = False
            for alt in av[1]:  # type: ignore[index]
                sub, n = _first(alt)
                if sub is _ANY:
                    return _ANY, False
                chars |= sub
                nullable = nullable or n
            if not nullable:
                return chars, False
            continue
        if op is _c.SUBPATTERN:
            sub, n = _first(av[-1])  # type: ignore[index]
            if sub is _ANY:
                return _ANY, False
            chars |= sub
            if not n:
                return chars, False
            continue
        if op in (_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", None)):
            lo, _hi, body = av  # type: ignore[misc]
            sub, n = _first(body)
            if sub is _ANY:
                return _ANY, False
            chars |= sub
            if lo > 0 and not n:
                return chars, False
            continue
        if op in (_c.AT, _c.ASSERT, _c.ASSERT_NOT):
            continue  # zero-width: look at what follows
        return _ANY, False
    return chars, True


class Scanner:
    """Leftmost, non-overlapping matches of several named patterns, dispatched on first character."""

    def __init__(self, named: Sequence[tuple[str, str]]) -> None:
        buckets: dict[str, list[tuple[str, str]]] = {}
        anywhere: list[tuple[str, str]] = []
        order = {name: i for i, (name, _) in enumerate(named)}
        for name, pattern in named:
            for alt in split_alternatives(pattern):
                first, nullable = _first(_p.parse(alt).data)
                if nullable:
                    raise ValueError(f"pattern for {name!r} can match the empty string: {alt!r}")
                if first is _ANY:
                    anywhere.append((name, alt))
                    continue
                for ch in first:
                    buckets.setdefault(ch, []).append((name, alt))
        if anywhere:
            for ch in list(buckets):
                buckets[ch].extend(anywhere)
        self._anywhere = self._compile(anywhere, order) if anywhere else None
        self._by_char = {ch: self._compile(alts, order) for ch, alts in buckets.items()}
        chars = "".join(sorted(buckets))
        self._probe = re.compile("[" + re.escape(chars) + "]") if chars else re.compile(r"(?!)")

    @staticmethod
    def _compile(alts: list[tuple[str, str]], order: dict[str, int]) -> re.Pattern[str]:
        grouped: dict[str, list[str]] = {}
        for name, alt in sorted(alts, key=lambda a: order[a[0]]):
            grouped.setdefault(name, []).append(alt)
        return re.compile("|".join(f"(?P<{n}>{'|'.join(a)})" for n, a in grouped.items()))

    def finditer(self, text: str) -> Iterator[tuple[str, int, int]]:
        """Yield ``(name, start, end)`` for each match."""
        if self._anywhere is not None:
            # Rare: some alternative can start anywhere; fall back to a full scan.
            yield from self._slow(text)
            return
        pos = 0
        by_char = self._by_char
        probe = self._probe.search
        while True:
            cand = probe(text, pos)
            if cand is None:
                return
            i = cand.start()
            m = by_char[text[i]].match(text, i)
            if m is not None and m.end() > i:
                yield m.lastgroup or "", i, m.end()
                pos = m.end()
            else:
                pos = i + 1

    def _slow(self, text: str) -> Iterator[tuple[str, int, int]]:
        pos = 0
        n = len(text)
        while pos < n:
            ch = text[pos]
            pat = self._by_char.get(ch, self._anywhere)
            m = pat.match(text, pos) if pat is not None else None
            if m is not None and m.end() > pos:
                yield m.lastgroup or "", pos, m.end()
                pos = m.end()
            else:
                pos += 1

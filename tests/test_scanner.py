from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tokenscam.scanner import Scanner, split_alternatives
from tokenscam.tactics import TACTICS, WARNING_PATTERN


def test_split_alternatives_respects_groups_and_classes() -> None:
    assert split_alternatives(r"a(b|c)|[|x]|d\|e") == ["a(b|c)", "[|x]", r"d\|e"]


def test_rejects_patterns_that_match_empty() -> None:
    with pytest.raises(ValueError):
        Scanner([("x", "a?")])


NAMED = [(t.name, t.pattern) for t in TACTICS] + [("warning", WARNING_PATTERN)]
COMBINED = re.compile("|".join(f"(?P<{n}>{p})" for n, p in NAMED))
SCANNER = Scanner(NAMED)
ALPHABET = "现在不囤以后买不起内部渠道三折加微信私聊稳赚日收益身份证号验证码官方回购像比特币茅台警惕诈骗,。!0123456789 tokenusdt@"


@given(st.text(alphabet=ALPHABET, max_size=60))
def test_same_matches_as_the_combined_pattern(text: str) -> None:
    expected = [
        (m.lastgroup, m.start(), m.end()) for m in COMBINED.finditer(text) if m.end() > m.start()
    ]
    assert list(SCANNER.finditer(text)) == expected


def test_no_alternative_needs_a_full_scan() -> None:
    # Every tactic alternative starts with a known character; otherwise scanning is slow.
    assert SCANNER._anywhere is None

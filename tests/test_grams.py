from __future__ import annotations

from tokenscam.grams import UNK, char_ngrams, char_units, fold_digits, word_ngrams


def test_digits_fold_and_whitespace_collapses() -> None:
    assert fold_digits("日赚3000，139") == "日赚0000，000"
    assert char_units("a  b\t\tc 1") == "a b c 0"


def test_char_ngrams_with_unknown_units() -> None:
    assert char_ngrams("内部", 1, 2) == ["内", "部", "内部"]
    assert char_ngrams("内丫", 1, 2, alphabet={"内"}) == ["内", UNK, "内" + UNK]
    assert char_ngrams("a", 2, 3) == []


def test_word_ngrams_with_unknown_units() -> None:
    assert word_ngrams(["内部", "渠道", "三折"], 1, 2) == [
        "内部",
        "渠道",
        "三折",
        "内部 渠道",
        "渠道 三折",
    ]
    assert word_ngrams(["内部", "渠道"], 2, 2, alphabet={"内部"}) == ["内部 " + UNK]

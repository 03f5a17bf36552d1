from __future__ import annotations

from tokenscam.segment import engine_info, segment, segment_spans


def test_domain_words_stay_whole() -> None:
    words = segment("现在囤词元，内部渠道，财富自由，数字石油")
    for w in ("词元", "内部渠道", "财富自由", "数字石油"):
        assert w in words


def test_spans_are_offsets_into_the_text() -> None:
    text = "我有 内部渠道 和 token"
    for word, s, e in segment_spans(text):
        assert text[s:e] == word
        assert not word.isspace()


def test_engine_info_names_the_engine_and_dictionary() -> None:
    info = engine_info()
    assert info["engine"] == "rjieba"
    assert len(info["userdict_sha256"]) == 64


def test_engine_is_loaded_once() -> None:
    from tokenscam.segment import _engine

    assert _engine() is _engine()

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tokenscam.normalise import normalise


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("囤·词·元", "囤词元"),
        ("囤 词 元", "囤词元"),
        ("囤/词/元", "囤词元"),
        ("内🔥部🔥渠🔥道", "内部渠道"),
        ("Ｔｏｋｅｎ", "token"),
        ("𝐓𝐨𝐤𝐞𝐧", "token"),
        ("ⓣⓞⓚⓔⓝ", "token"),
        ("🅣🅞🅚🅔🅝", "token"),
        ("T0ken", "token"),
        ("U5DT", "usdt"),
        ("T o k e n", "token"),
        ("現在囤詞元賺錢", "现在囤词元赚钱"),
        ("囤\u200b词\u200d元", "囤词元"),
        ("加薇信", "加微信"),
        ("威❤：abc_123", "微信:abc_123"),
        ("V信", "微信"),
        ("➕V", "加微信"),
        ("+vx", "加微信"),
        ("扣扣群", "qq群"),
        ("加飞机", "加telegram"),
        ("sfz", "身份证"),
        ("💰💰🚀", "钱钱涨"),
        ("⑩倍", "10倍"),
    ],
)
def test_evasions_are_undone(raw: str, expected: str) -> None:
    assert normalise(raw).text == expected


@pytest.mark.parametrize(
    "text",
    [
        "他在公司很有威信",  # 威信 (prestige) is a real word
        "今天天气不错,我们去公园散步吧。",
        "iphone15 和 web3 都不该被改写",
        "1.5折",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert normalise(text).text == text.lower()


def test_commas_between_characters_are_kept() -> None:
    # Separators only go when they split three or more characters one by one.
    assert normalise("现在不囤,以后买不起").text == "现在不囤,以后买不起"


@pytest.mark.parametrize(
    ("raw", "needle", "original"),
    [
        ("快来加薇信 ab123", "微信", "薇信"),
        ("内·部·渠·道价格", "内部渠道", "内·部·渠·道"),
        ("𝐓𝐨𝐤𝐞𝐧打三折", "token", "𝐓𝐨𝐤𝐞𝐧"),
        ("先看\u200b这\u200b里：T0ken", "token", "T0ken"),
        ("➕V了解", "加微信", "➕V"),
    ],
)
def test_spans_map_back_to_the_users_characters(raw: str, needle: str, original: str) -> None:
    n = normalise(raw)
    i = n.text.index(needle)
    s, e = n.to_original(i, i + len(needle))
    assert raw[s:e] == original


def test_identity_map_when_nothing_moves() -> None:
    n = normalise("普通消息")
    assert n.starts is None and n.to_original(1, 3) == (1, 3)


def test_lone_surrogates_become_replacement_characters() -> None:
    assert "\ufffd" in normalise("坏\udcff字节").text


def test_rejects_non_strings() -> None:
    with pytest.raises(TypeError):
        normalise(b"bytes")  # type: ignore[arg-type]


@given(st.text(max_size=80))
def test_every_normalised_character_maps_into_the_original(text: str) -> None:
    n = normalise(text)
    for i in range(len(n.text)):
        s, e = n.to_original(i, i + 1)
        assert 0 <= s < e <= len(text)

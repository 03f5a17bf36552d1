from __future__ import annotations

import re

import pytest

from tokenscam.augment import TRAINING_TRANSFORMS, TRANSFORMS, obfuscate
from tokenscam.evasion import EVASIONS, SPLIT_RULE, evade, halves, pitch_score

PITCH = (
    "现在不囤词元，以后买不起！内部渠道Token三折，稳赚不赔，收益翻倍。"
    "名额有限，加微信 tk_8888 私聊，老师带单，保证金退还。"
)


def test_the_suite_covers_every_evasion_the_issue_names() -> None:
    groups = {e.group for e in EVASIONS.values()}
    assert groups == {
        "spaces and symbols",
        "homophones and near-glyphs",
        "traditional characters",
        "full-width and mathematical letters",
        "digit for letter",
        "emoji for words",
        "pinyin initials",
        "noise sentences",
        "split across two messages",
    }
    # Training's evasions are all in it, marked as trained, and nothing else is.
    assert {n for n, e in EVASIONS.items() if e.trained} == set(TRANSFORMS)
    assert set(TRAINING_TRANSFORMS) == set(TRANSFORMS)


@pytest.mark.parametrize("name", list(EVASIONS))
def test_each_evasion_is_deterministic_and_changes_a_pitch(name: str) -> None:
    first = evade(PITCH, name, "wx-0001")
    assert first == evade(PITCH, name, "wx-0001")
    assert first != (PITCH,), f"{name} left the pitch unchanged"
    assert all(isinstance(p, str) and p for p in first)
    assert len(first) == EVASIONS[name].parts


@pytest.mark.parametrize("name", sorted(TRANSFORMS))
def test_trained_evasions_are_the_augment_transforms_with_the_same_seed(name: str) -> None:
    # So the suite's figures for these agree with the model card's.
    assert evade(PITCH, name, "qq-0042") == (obfuscate(PITCH, name, "qq-0042"),)


def test_seeds_vary_the_seeded_evasions() -> None:
    variants = {evade(PITCH, "separators_everywhere", i) for i in range(5)}
    assert len(variants) > 1
    variants = {evade(PITCH, "noise_padding", i) for i in range(8)}
    assert len(variants) > 1


def test_new_evasions_do_what_they_say() -> None:
    assert evade("我有词元", "pinyin_initials", 1) == ("我有cy",)
    assert evade("加微信私聊", "homophone_words", 1) == ("加微信私撩",)
    spaced = evade("现在不囤词元", "separators_everywhere", 3)[0]
    assert re.sub(r"[^\u4e00-\u9fff]", "", spaced) == "现在不囤词元"
    assert len(spaced) == 2 * len("现在不囤词元") - 1
    assert evade("Token plan", "leet_all", 1) == ("70k3n p14n",)
    assert "➕💚" in evade("快加微信", "emoji_more", 1)[0]
    padded = evade(PITCH, "noise_padding", 2)[0]
    assert PITCH.replace("。", "") != padded and len(padded) > len(PITCH) + 15
    glyphs = evade("加微信进群，囤词元", "near_glyphs", 5)[0]
    assert glyphs != "加微信进群，囤词元" and len(glyphs) == len("加微信进群，囤词元")


def test_a_split_pitch_is_the_whole_pitch_in_two_messages() -> None:
    first, second = evade(PITCH, "split_two", 1)
    assert (first + second).replace(" ", "") == PITCH.replace(" ", "")  # nothing lost
    assert abs(len(first) - len(second)) < len(PITCH) * 0.6
    # Cut at a boundary (a sentence end here), never inside a word when one is near.
    assert first.endswith(("。", "！", "，"))
    # Chinese without any boundary is cut in the middle.
    assert halves("现在不囤词元以后买不起") == ("现在不囤词", "元以后买不起")
    assert halves("囤") is None
    assert evade("囤", "split_two", 1) == ("囤",)


def test_a_split_pitch_is_caught_if_either_half_is() -> None:
    assert pitch_score([0.1, 0.9]) == 0.9
    assert pitch_score((0.2,)) == 0.2
    assert "either half" in SPLIT_RULE


def test_unknown_evasions_are_refused() -> None:
    with pytest.raises(KeyError, match="unknown evasion"):
        evade(PITCH, "rot13", 1)

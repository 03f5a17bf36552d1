from __future__ import annotations

import pytest

from tokenscam.augment import TRANSFORMS, augment_rows, obfuscate, split_in_two
from tokenscam.corpus import Row
from tokenscam.normalise import normalise

PITCH = "加微信了解内部渠道，Token价格三折，转手稳赚，现在不囤以后买不起"


@pytest.mark.parametrize("name", sorted(TRANSFORMS))
def test_transforms_are_deterministic_and_change_text(name: str) -> None:
    a = obfuscate(PITCH, name, seed=1)
    assert a == obfuscate(PITCH, name, seed=1)
    assert a != PITCH


@pytest.mark.parametrize(
    "name", ["separators", "zero_width", "fullwidth", "math_letters", "traditional"]
)
def test_normalisation_undoes_character_level_evasions(name: str) -> None:
    assert normalise(obfuscate(PITCH, name, seed=3)).text == normalise(PITCH).text


def test_variants_keep_label_and_point_to_their_base() -> None:
    rows = [
        Row(f"zz-{i:04d}", PITCH + str(i), i % 2, "scam" if i % 2 else "ordinary", "f")
        for i in range(40)
    ]
    variants = augment_rows(rows, rate=0.5, seed=1)
    assert variants
    by_id = {r.id: r for r in rows}
    for v in variants:
        base = by_id[v.base_id]
        assert v.label == base.label and v.text != base.text
    assert {v.label for v in variants} == {0, 1}  # both classes, so obfuscation is no signal
    assert augment_rows(rows, rate=0.5, seed=1) == variants


def test_split_in_two_keeps_every_character() -> None:
    a, b = split_in_two(PITCH)
    assert a + b == PITCH and a and b

"""Moderator passwords: salted scrypt, constant-time checks, malformed hashes never match."""

from __future__ import annotations

import pytest

from tokenscam.passwords import MIN_LENGTH, hash_password, verify_password


def test_hash_and_verify() -> None:
    stored = hash_password("correct-horse-battery")
    assert stored.startswith("scrypt$") and "correct-horse" not in stored
    assert verify_password(stored, "correct-horse-battery")
    assert not verify_password(stored, "correct-horse-batterY")
    assert hash_password("correct-horse-battery") != stored  # a new salt each time


def test_short_passwords_are_refused() -> None:
    with pytest.raises(ValueError):
        hash_password("x" * (MIN_LENGTH - 1))


@pytest.mark.parametrize(
    "stored", ["", "plain", "md5$1$2$3$aa$bb", "scrypt$x$8$1$aa$bb", "scrypt$16384$8$1$zz$bb"]
)
def test_malformed_hashes_never_match(stored) -> None:
    assert verify_password(stored, "anything-at-all") is False

"""Obfuscations that evaders apply, as seeded, deterministic code.

Used twice: at training time, to show the model variants of our messages (labelled like their
base and kept on the same side of every split), and at evaluation time, to measure how much
recall each evasion costs. Variants are made for non-scams too, so that "looks obfuscated" never
becomes a reason to flag.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import replace
from functools import lru_cache

from .corpus import Row

__all__ = ["TRANSFORMS", "obfuscate", "augment_rows", "split_in_two"]

_CJK = re.compile(r"[\u4e00-\u9fff]")
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]{3,}")


def _separators(text: str, rng: random.Random) -> str:
    """囤词元 → 囤·词·元 on a few runs of Chinese characters."""
    sep = rng.choice([" ", "·", "/", "•", "_", "-", "*", "✨", "🔥", "~"])
    runs = list(_CJK_RUN.finditer(text))
    if not runs:
        return text
    chosen = {id(m) for m in rng.sample(runs, k=max(1, len(runs) // 2))}
    out, pos = [], 0
    for m in runs:
        if id(m) in chosen:
            out.append(text[pos : m.start()])
            out.append(sep.join(m.group()))
            pos = m.end()
    out.append(text[pos:])
    return "".join(out)


def _zero_width(text: str, rng: random.Random) -> str:
    zw = rng.choice(["\u200b", "\u200c", "\u200d", "\ufeff", "\u2060"])
    return "".join(ch + zw if _CJK.match(ch) and rng.random() < 0.5 else ch for ch in text)


_HOMOPHONES: list[tuple[str, list[str]]] = [
    ("加微信", ["+V", "➕V", "加薇信", "加威❤", "加vx", "加V信", "+vx"]),
    ("微信", ["薇信", "威❤", "V信", "vx", "wx", "薇❤"]),
    ("QQ", ["扣扣", "企鹅号"]),
    ("qq", ["扣扣"]),
    ("身份证", ["sfz"]),
    ("验证码", ["yzm"]),
    ("银行卡", ["yhk"]),
    ("支付宝", ["zfb"]),
    ("Telegram", ["纸飞机", "电报"]),
]


def _homophones(text: str, rng: random.Random) -> str:
    for word, variants in _HOMOPHONES:
        if word in text:
            text = text.replace(word, rng.choice(variants))
    return text


@lru_cache(maxsize=1)
def _s2t():  # type: ignore[no-untyped-def]
    import opencc

    return opencc.OpenCC("s2t")


def _traditional(text: str, rng: random.Random) -> str:
    return str(_s2t().convert(text))


def _fullwidth(text: str, rng: random.Random) -> str:
    return "".join(
        chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in text
    )


def _math_letters(text: str, rng: random.Random) -> str:
    style = rng.choice(["bold", "circled", "sans"])

    def conv(c: str) -> str:
        if not c.isascii() or not c.isalpha():
            return c
        upper = c.isupper()
        i = ord(c.upper()) - ord("A")
        if style == "circled":
            return chr((0x24B6 if upper else 0x24D0) + i)
        base = 0x1D400 if style == "bold" else 0x1D5D4
        return chr(base + i + (0 if upper else 26))

    return "".join(conv(c) for c in text)


_LEET = {"o": "0", "O": "0", "e": "3", "E": "3", "a": "4", "s": "5", "S": "5", "t": "7", "i": "1"}


def _leet(text: str, rng: random.Random) -> str:
    def word(m: re.Match[str]) -> str:
        w = m.group()
        letters = [i for i, c in enumerate(w) if c in _LEET]
        if not letters:
            return w
        i = rng.choice(letters)
        return w[:i] + _LEET[w[i]] + w[i + 1 :]

    return re.sub(r"[A-Za-z]{3,}", word, text)


_EMOJI_FOR = [
    ("钱", "💰💵🤑"),
    ("赚", "💰🤑"),
    ("涨", "🚀📈"),
    ("火", "🔥"),
    ("好", "👍"),
    ("微信", "💬"),
]


def _emoji_words(text: str, rng: random.Random) -> str:
    for word, emoji in _EMOJI_FOR:
        if word in text:
            text = text.replace(word, rng.choice(emoji))
    return text


_NOISE = [
    "今天天气真不错。",
    "吃饭了吗？",
    "周末一起去爬山吧。",
    "最近工作好忙啊。",
    "孩子下周要期中考试了。",
    "楼下新开了一家面馆，味道还行。",
]


def _noise_sentence(text: str, rng: random.Random) -> str:
    noise = rng.choice(_NOISE)
    return noise + text if rng.random() < 0.5 else text + noise


TRANSFORMS: dict[str, Callable[[str, random.Random], str]] = {
    "separators": _separators,
    "zero_width": _zero_width,
    "homophones": _homophones,
    "traditional": _traditional,
    "fullwidth": _fullwidth,
    "math_letters": _math_letters,
    "leet": _leet,
    "emoji_words": _emoji_words,
    "noise_sentence": _noise_sentence,
}

# What training applies: evasions that normalisation is meant to undo, plus noise.
TRAINING_TRANSFORMS = (
    "separators",
    "zero_width",
    "homophones",
    "traditional",
    "fullwidth",
    "math_letters",
    "leet",
    "emoji_words",
    "noise_sentence",
)


def obfuscate(text: str, transform: str, seed: int | str) -> str:
    """Apply one named transform, deterministically for a given seed."""
    fn = TRANSFORMS[transform]
    return fn(text, random.Random(f"{transform}:{seed}"))


def split_in_two(text: str) -> tuple[str, str]:
    """Split a pitch across two messages at the sentence boundary nearest its middle."""
    cuts = [m.end() for m in re.finditer(r"[。！？!?\n，,]", text) if 0 < m.end() < len(text)]
    mid = len(text) // 2
    cut = min(cuts, key=lambda c: abs(c - mid)) if cuts else mid
    return text[:cut], text[cut:]


def augment_rows(rows: list[Row], rate: float = 0.5, seed: int = 7) -> list[Row]:
    """Obfuscated variants of a share of ``rows`` (both labels), each with ``base_id`` set."""
    rng = random.Random(seed)
    out: list[Row] = []
    for row in rows:
        if rng.random() >= rate:
            continue
        names = rng.sample(TRAINING_TRANSFORMS, k=rng.choice([1, 1, 2]))
        text = row.text
        for name in names:
            text = obfuscate(text, name, f"{row.id}:{name}")
        if text == row.text:
            continue
        out.append(replace(row, id=f"{row.id}~{'+'.join(names)}", text=text, base_id=row.id))
    return out

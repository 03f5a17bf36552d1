"""The evasion suite: how scammers disguise a pitch, as seeded, deterministic code.

``tokenscam eval --evasion`` applies each evasion to the held-out scams and reports recall before
and after, one evasion at a time. Nine evasions are the ones training also shows the model
(:data:`tokenscam.augment.TRANSFORMS`, used here unchanged and with the same seeds, so their
figures agree with the model card); the others are new to the model: harsher variants and
tricks normalisation was not written for, so the suite measures more than what was trained.

The split evasion sends the same pitch as two messages. Each half is scored on its own and the
pitch counts as caught if **either** half is flagged (its score is the higher of the two): a
moderator who is shown one flagged half sees the sender and the conversation, which is what a
flag is for.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass

from .augment import TRANSFORMS as _TRAINED
from .augment import obfuscate

__all__ = ["Evasion", "EVASIONS", "evade", "halves", "pitch_score", "SPLIT_RULE"]

SPLIT_RULE = (
    "the pitch cut in two at a sentence end, comma or space near its middle; caught if either "
    "half is flagged (its score is the higher of the two halves' scores)"
)

_CJK_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")


def _separators_everywhere(text: str, rng: random.Random) -> str:
    """A different symbol between every two Chinese characters of every run: 现|在.囤*词。"""
    symbols = [" ", "·", "/", "|", ".", "*", "_", "~", "、", "💫", "⭐", "❗"]

    def run(m: re.Match[str]) -> str:
        chars = m.group()
        return chars[0] + "".join(rng.choice(symbols) + c for c in chars[1:])

    return _CJK_RUN.sub(run, text)


# Characters that look like (or share the sound component of) the ones pitches are made of.
_NEAR_GLYPHS: dict[str, str] = {
    "微": "徽溦嶶",
    "信": "伈訫",
    "加": "伽枷",
    "群": "羣裙",
    "钱": "浅銭",
    "币": "帀市",
    "元": "沅",
    "词": "祠伺",
    "囤": "沌钝",
    "稳": "穏",
    "涨": "张帐",
    "利": "俐莉",
    "益": "溢",
    "翻": "番",
    "倍": "陪培",
    "单": "箪郸",
    "佣": "拥",
    "返": "反",
    "折": "哲浙",
    "内": "呐纳",
    "渠": "蕖",
    "赚": "賺",
    "投": "骰",
    "资": "咨姿",
}


def _near_glyphs(text: str, rng: random.Random) -> str:
    """Swap characters for look-alikes: 加徽訫, 囤祠沅."""
    out = []
    for c in text:
        alts = _NEAR_GLYPHS.get(c)
        out.append(rng.choice(alts) if alts and rng.random() < 0.7 else c)
    return "".join(out)


# Words written with other characters of the same or nearly the same sound (谐音).
_HOMOPHONE_WORDS: list[tuple[str, str]] = [
    ("囤积", "屯积"),
    ("囤", "屯"),
    ("词元", "次元"),
    ("稳赚", "稳撰"),
    ("保本", "保苯"),
    ("收益", "收溢"),
    ("翻倍", "翻贝"),
    ("投资", "投姿"),
    ("内部", "内布"),
    ("渠道", "渠到"),
    ("私聊", "私撩"),
    ("私信", "私芯"),
    ("带单", "代单"),
    ("返佣", "返拥"),
    ("拉人头", "拉人投"),
    ("押金", "鸭金"),
    ("名额", "明额"),
    ("限时", "线时"),
    ("空投", "空头"),
    ("暴涨", "爆张"),
    ("升值", "生值"),
    ("入群", "入裙"),
    ("赚钱", "转钱"),
]


def _homophone_words(text: str, rng: random.Random) -> str:
    """谐音: 屯次元, 稳撰, 私撩 — each listed word, every occurrence."""
    for word, sound_alike in _HOMOPHONE_WORDS:
        if word in text:
            text = text.replace(word, sound_alike)
    return text


# Words as the initials of their pinyin (the way people type them in a hurry, and evaders on purpose).
_PINYIN_INITIALS: list[tuple[str, str]] = [
    ("加微信", "jwx"),
    ("微信", "wx"),
    ("私聊", "sl"),
    ("私信", "sx"),
    ("稳赚", "wz"),
    ("保本", "bb"),
    ("内部", "nb"),
    ("渠道", "qd"),
    ("收益", "sy"),
    ("翻倍", "fb"),
    ("投资", "tz"),
    ("赚钱", "zq"),
    ("带单", "dd"),
    ("返佣", "fy"),
    ("拉人头", "lrt"),
    ("名额", "me"),
    ("身份证", "sfz"),
    ("验证码", "yzm"),
    ("银行卡", "yhk"),
    ("支付宝", "zfb"),
    ("转账", "zz"),
    ("押金", "yj"),
    ("保证金", "bzj"),
    ("词元", "cy"),
    ("代币", "db"),
    ("空投", "kt"),
    ("限时", "xs"),
    ("老师", "ls"),
    ("以后", "yh"),
    ("现在", "xz"),
    ("价格", "jg"),
]


def _pinyin_initials(text: str, rng: random.Random) -> str:
    """词元 → cy, 内部渠道 → nbqd: most listed words (a seeded ~70 %), at least one if any."""
    present = [(w, p) for w, p in _PINYIN_INITIALS if w in text]
    if not present:
        return text
    chosen = [wp for wp in present if rng.random() < 0.7] or [rng.choice(present)]
    for word, initials in chosen:
        text = text.replace(word, initials)
    return text


_LEET_ALL = str.maketrans(
    {"o": "0", "O": "0", "e": "3", "E": "3", "a": "4", "A": "4", "s": "5", "S": "5"}
    | {"t": "7", "T": "7", "i": "1", "I": "1", "l": "1", "g": "9", "b": "8", "B": "8"}
)


def _leet_all(text: str, rng: random.Random) -> str:
    """Every letter that has a digit look-alike, in every Latin word: T0k3n → 70k3n."""
    return re.sub(r"[A-Za-z]{2,}", lambda m: m.group().translate(_LEET_ALL), text)


_EMOJI_MORE: list[tuple[str, str]] = [
    ("加微信", "➕💚"),
    ("微信", "💚"),
    ("手机", "📱"),
    ("电话", "📞"),
    ("红包", "🧧"),
    ("礼物", "🎁"),
    ("免费", "🆓"),
    ("限时", "⏰"),
    ("钻石", "💎"),
    ("起飞", "🛫"),
    ("上涨", "📈"),
    ("暴涨", "🚀"),
    ("机会", "🍀"),
    ("赚钱", "🤑"),
    ("钱", "💰"),
    ("群", "👥"),
    ("火", "🔥"),
    ("加", "➕"),
    ("好", "👌"),
]


def _emoji_more(text: str, rng: random.Random) -> str:
    """More words as emoji than training saw: ➕💚, 👥, 🆓, ⏰."""
    for word, emoji in _EMOJI_MORE:
        if word in text:
            text = text.replace(word, emoji)
    return text


# Everyday sentences (not those training pads with) that dilute a pitch.
_PADDING = [
    "昨晚的球赛你看了没有？",
    "我家猫今天又把花盆打翻了。",
    "明天早上八点地铁站门口见。",
    "这家店的牛肉面分量挺足的。",
    "周六要不要一起去图书馆？",
    "记得提醒我给妈妈打个电话。",
    "小区门口在修路，绕一下走。",
    "最近睡得不好，总是做梦。",
]
# Where a message may be cut without cutting a word: after a sentence end, a comma or a space.
_BOUNDARIES = (re.compile(r"[。！？!?\n]+"), re.compile(r"[，,；;：:]+"), re.compile(r"\s+"))


def _cut_near_middle(text: str) -> int | None:
    """The boundary nearest the middle, preferring sentence ends, then commas, then spaces,
    as long as the preferred one leaves each half at least a fifth of the text."""
    mid = len(text) / 2
    every: list[int] = []
    for pattern in _BOUNDARIES:
        cuts = [m.end() for m in pattern.finditer(text) if 0 < m.end() < len(text)]
        every += cuts
        near = [c for c in cuts if abs(c - mid) <= 0.3 * len(text)]
        if near:
            return min(near, key=lambda c: (abs(c - mid), c))
    return min(every, key=lambda c: (abs(c - mid), c)) if every else None


def halves(text: str) -> tuple[str, str] | None:
    """The pitch as two messages, cut at a boundary near its middle, or in the middle where
    there is none (Chinese needs no spaces: 现在不囤词元 / 以后买不起). None: too short."""
    cut = _cut_near_middle(text)
    if cut is None:
        cut = len(text) // 2
    first, second = text[:cut].rstrip(), text[cut:].lstrip()
    return (first, second) if first and second else None


def _noise_padding(text: str, rng: random.Random) -> str:
    """Three everyday sentences: before, inside (at a boundary) and after the pitch."""
    pads = rng.sample(_PADDING, 3)
    cut = _cut_near_middle(text) or 0
    return pads[0] + text[:cut] + pads[1] + text[cut:] + pads[2]


def _split(text: str, rng: random.Random) -> str:  # pragma: no cover - handled by evade()
    raise AssertionError("split_two is applied by evade()")


@dataclass(frozen=True)
class Evasion:
    """One way of disguising a pitch. ``trained``: training shows the model this one too."""

    name: str
    group: str
    description: str
    trained: bool
    parts: int = 1


def _e(name: str, group: str, description: str, parts: int = 1) -> Evasion:
    return Evasion(name, group, description, name in _TRAINED, parts)


# In the order of the list; ``group`` names the item each belongs to.
EVASIONS: dict[str, Evasion] = {
    e.name: e
    for e in (
        _e("separators", "spaces and symbols", "one symbol between the characters of some runs"),
        _e(
            "separators_everywhere",
            "spaces and symbols",
            "a random symbol between every two characters",
        ),
        _e("zero_width", "spaces and symbols", "invisible characters between characters"),
        _e(
            "homophones",
            "homophones and near-glyphs",
            "contact words: 薇信, 威❤, ➕V, 扣扣, 纸飞机",
        ),
        _e("homophone_words", "homophones and near-glyphs", "谐音 pitch words: 屯次元, 稳撰, 私撩"),
        _e("near_glyphs", "homophones and near-glyphs", "look-alike characters: 加徽訫, 祠沅"),
        _e("traditional", "traditional characters", "the whole message in traditional characters"),
        _e("fullwidth", "full-width and mathematical letters", "ＡＳＣＩＩ as full-width forms"),
        _e("math_letters", "full-width and mathematical letters", "𝐓𝐨𝐤𝐞𝐧, Ⓣⓞⓚⓔⓝ, 𝖳𝗈𝗄𝖾𝗇"),
        _e("leet", "digit for letter", "one digit for a letter in each Latin word: T0ken"),
        _e("leet_all", "digit for letter", "every letter with a digit look-alike: 70k3n"),
        _e("emoji_words", "emoji for words", "钱 → 💰, 涨 → 🚀, 微信 → 💬"),
        _e("emoji_more", "emoji for words", "more words: ➕💚, 👥, 🆓, ⏰, 🧧"),
        _e("pinyin_initials", "pinyin initials", "词元 → cy, 内部渠道 → nbqd, 加微信 → jwx"),
        _e("noise_sentence", "noise sentences", "one everyday sentence before or after"),
        _e("noise_padding", "noise sentences", "three unseen everyday sentences around and inside"),
        _e("split_two", "split across two messages", SPLIT_RULE, parts=2),
    )
}

_NEW: dict[str, Callable[[str, random.Random], str]] = {
    "separators_everywhere": _separators_everywhere,
    "near_glyphs": _near_glyphs,
    "homophone_words": _homophone_words,
    "pinyin_initials": _pinyin_initials,
    "leet_all": _leet_all,
    "emoji_more": _emoji_more,
    "noise_padding": _noise_padding,
    "split_two": _split,
}


def evade(text: str, name: str, seed: int | str) -> tuple[str, ...]:
    """The message(s) a scammer would send instead of ``text``: one, or two for ``split_two``.

    Deterministic for a given ``seed``; the trained evasions use :func:`augment.obfuscate` with
    the same seed as cross-validation, so both measure the same variants.
    """
    if name not in EVASIONS:
        raise KeyError(f"unknown evasion {name!r}; known: {', '.join(EVASIONS)}")
    if name == "split_two":
        return halves(text) or (text,)
    if name in _TRAINED:
        return (obfuscate(text, name, seed),)
    return (_NEW[name](text, random.Random(f"{name}:{seed}")),)


def pitch_score(part_scores: list[float] | tuple[float, ...]) -> float:
    """The score of a pitch sent as one or more messages: caught if any part is (see module)."""
    return max(part_scores)

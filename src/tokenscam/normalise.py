"""Undo what evaders do to Chinese text, keeping a map back to the user's own characters.

Scammers write 囤·词·元, Ｔｏｋｅｎ, 𝐓𝐨𝐤𝐞𝐧, T0ken, 薇信 and 扣扣 so that keyword filters miss them. The
model and the tactic rules see one canonical form; every evidence span is mapped back through
:class:`Normalised` so that a moderator is shown the characters the user actually typed.

Speed matters (this runs on every message), so the common case is C-speed: one ``str.translate``
with a table of strictly one-to-one replacements, and a few regex searches that usually find
nothing. Only a message that needs deletions or multi-character rewrites pays for a Python loop.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

from .scanner import Scanner

__all__ = ["Normalised", "normalise", "normalise_many"]

# Characters that carry nothing visible: zero-width spaces and joiners, bidi marks, soft hyphen,
# variation selectors, word joiners, the BOM and the tag block.
_INVISIBLE = (
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180e\u200b\u200c\u200d\u200e"
    "\u200f\u202a\u202b\u202c\u202d\u202e\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069"
    "\u206a\u206b\u206c\u206d\u206e\u206f\u3164\ufeff\uffa0"
    + "".join(chr(c) for c in range(0xFE00, 0xFE10))
)
_INVISIBLE_SUPPLEMENTARY = [(0xE0000, 0xE0080), (0xE0100, 0xE01F0)]

# Look-alike letters from other scripts that evaders slip into Latin words.
_HOMOGLYPHS = {
    "а": "a",
    "в": "b",
    "е": "e",
    "к": "k",
    "м": "m",
    "н": "h",
    "о": "o",
    "р": "p",
    "с": "c",
    "т": "t",
    "у": "y",
    "х": "x",
    "і": "i",
    "ј": "j",
    "ѕ": "s",
    "ԁ": "d",
    "ɡ": "g",
    "ո": "n",
    "α": "a",
    "β": "b",
    "ε": "e",
    "κ": "k",
    "ν": "v",
    "ο": "o",
    "ρ": "p",
    "τ": "t",
    "υ": "u",
    "χ": "x",
    "ι": "i",
}

# Money and rocket emoji stand for words in pitches ("💰💰💰", "🚀 起飞"); giving them one canonical
# character lets the model treat 💰 and 钱 alike.
_EMOJI_WORDS = {
    **dict.fromkeys("💰💵💴💶💷💸🤑💲🪙🏦", "钱"),
    **dict.fromkeys("🚀📈", "涨"),
    **dict.fromkeys("💎", "钻"),
}

# Blocks whose NFKC forms matter for evasion: Latin-1, letterlike symbols, enclosed alphanumerics,
# CJK symbols and compatibility forms, Kangxi radicals, full-width forms, mathematical letters.
_NFKC_BLOCKS = [
    (0x00A0, 0x0250),
    (0x02B0, 0x0370),
    (0x1D00, 0x1DC0),
    (0x2000, 0x2BFF),
    (0x2E80, 0x2FE0),
    (0x3000, 0x3400),
    (0xF900, 0xFB00),
    (0xFE10, 0xFE70),
    (0xFF00, 0xFFF0),
    (0x1D400, 0x1D800),
    (0x1F100, 0x1F200),
    (0x2F800, 0x2FA20),
]


def _letter(i: int) -> str:
    return chr(ord("a") + i)


def _build_tables() -> tuple[dict[int, str], dict[str, str]]:
    """Return (one-to-one translate table, expansions and deletions for the slow path)."""
    one: dict[int, str] = {}
    other: dict[str, str] = {}

    for lo, hi in _NFKC_BLOCKS:
        for cp in range(lo, hi):
            ch = chr(cp)
            nf = unicodedata.normalize("NFKC", ch)
            if nf == ch:
                continue
            nf = nf.lower() if nf.isascii() else nf
            if len(nf) == 1:
                one[cp] = nf
            elif all(c.isspace() or unicodedata.combining(c) for c in nf):
                other[ch] = ""  # spacing accents such as ´ and ¨ carry no letters
            else:
                other[ch] = nf
    # Negative circled / squared capitals and regional indicators have no NFKC form.
    for base in (0x1F150, 0x1F170, 0x1F1E6):
        for i in range(26):
            one[base + i] = _letter(i)
    for i in range(26):
        one[ord("A") + i] = _letter(i)
    for src, dst in _HOMOGLYPHS.items():
        one[ord(src)] = dst
        one[ord(src.upper())] = dst
    # Traditional → simplified, one character at a time (context-free, identical at train and
    # score time). OpenCC gives the mapping; only one-to-one results are kept.
    for src, dst in _t2s_pairs():
        one[ord(src)] = dst
    # Characters OpenCC converts only inside phrases (瞭解 → 了解), which are rare in simplified text.
    for src, dst in {"瞭": "了", "暱": "昵", "揹": "背", "甦": "苏"}.items():
        one[ord(src)] = dst
    # Lone surrogates (from undecodable bytes) cannot reach the segmenter, which needs UTF-8.
    for cp in range(0xD800, 0xE000):
        one[cp] = "\ufffd"
    for ch in _INVISIBLE:
        other[ch] = ""
        one.pop(ord(ch), None)
    for lo, hi in _INVISIBLE_SUPPLEMENTARY:
        for cp in range(lo, hi):
            other[chr(cp)] = ""
    # Keep every table value lower-case ASCII where it is ASCII.
    for cp, dst in list(one.items()):
        if dst.isascii():
            one[cp] = dst.lower()
    for ch in other:
        one.pop(ord(ch), None)
    return one, other


def _t2s_pairs() -> Iterable[tuple[str, str]]:
    import opencc

    chars = [
        chr(c)
        for rng in ((0x3400, 0x4DC0), (0x4E00, 0xA000), (0xF900, 0xFB00))
        for c in range(*rng)
    ]
    converted = opencc.OpenCC("t2s").convert("\n".join(chars)).split("\n")
    if len(converted) != len(chars):  # pragma: no cover - OpenCC keeps newlines
        raise RuntimeError("OpenCC changed the number of lines while building the t2s table")
    return ((a, b) for a, b in zip(chars, converted, strict=True) if a != b and len(b) == 1)


def _char_class(chars: Iterable[str]) -> str:
    """A regex character class of ranges: far faster to search than a list of 1,000 characters."""
    cps = sorted({ord(c) for c in chars})
    parts = []
    i = 0
    while i < len(cps):
        j = i
        while j + 1 < len(cps) and cps[j + 1] == cps[j] + 1:
            j += 1
        lo, hi = re.escape(chr(cps[i])), re.escape(chr(cps[j]))
        parts.append(lo if i == j else f"{lo}-{hi}")
        i = j + 1
    return "[" + "".join(parts) + "]"


_ONE, _OTHER = _build_tables()
_ONE.update({ord(k): v for k, v in _EMOJI_WORDS.items()})
_ONE[ord("➕")] = "+"
_SLOW_CHARS = re.compile(_char_class(_OTHER))

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_EMOJI = "\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff"
_SEP = r"\s·•・.\-_/\\|*~+=^°'\"`#…丶" + _EMOJI
# 囤·词·元, 囤 词 元, 内/部/渠/道: three or more CJK characters, each pair split by 1–3 separators.
_INTERLEAVED_CJK = re.compile(f"[{_CJK}](?:[{_SEP}]{{1,3}}[{_CJK}]){{2,}}")
# T o k e n, U.S.D.T: three or more single Latin letters split by one separator each.
_INTERLEAVED_LATIN = re.compile(r"(?<![a-z0-9])[a-z](?:[\s.\-_*·•|/][a-z]){2,}(?![a-z0-9])")
_STRONG_SEP = r"·•・*_~丶\u200b" + _EMOJI
# 分·红, 提·现: a deliberate mark between two characters (not a space, which Chinese text uses).
_SPLIT_PAIR = re.compile(
    f"(?<![{_CJK}])[{_CJK}][{_STRONG_SEP}]{{1,2}}[{_CJK}](?![{_CJK}])|(?<=[{_CJK}])[{_STRONG_SEP}]{{1,2}}(?=[{_CJK}])"
)
_SEP_CHARS = re.compile(f"[{_SEP}]")

# Digit-for-letter spellings, undone only when the result is a word we know (T0ken, U5DT).
_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
)
_LEET_ALT = str.maketrans({"1": "l"})
_LEET_WORDS = frozenset(
    "token tokens usdt usdc bitcoin btc eth nft nfts api gpt chatgpt openai vip wechat crypto coin "
    "coins airdrop defi telegram whatsapp line qq weixin binance okx trx tron ai".split()
)
_LEET_CANDIDATE = re.compile(
    r"(?<![a-z0-9@$])(?=[a-z0-9@$]*[a-z])(?=[a-z@$]*[0-9@$])[a-z0-9@$]{2,12}(?![a-z0-9])"
)

# Contact words spelled to dodge filters. Each entry: pattern → canonical text.
_CONTACT_REWRITES: list[tuple[str, str]] = [
    (r"(?:加|\+)\s?(?:v|vx|wx|vx号|微)(?![a-z信])", "加微信"),
    (r"(?:薇|徽|嶶|溦|威|维|危|卫)\s?(?:信|❤️?|♥|💗|💕|❤)(?=\s?[:：号]|\s?[a-z0-9_-]{5,})", "微信"),
    (r"(?:薇|徽|嶶|溦)信|[微薇威]\s?(?:❤️?|♥|💗|💕)|(?<=[加+])(?:威|维|卫)信", "微信"),
    (
        r"(?<![a-z])v\s?信|(?<![a-z0-9])(?:vx|wx|vxin|weixin|wechat)(?![a-z])|[微威薇v]\s?xin(?![a-z])",
        "微信",
    ),
    (r"扣扣|抠抠|寇寇|企鹅号|(?<![a-z])q(?=群|号)", "qq"),
    (
        r"纸飞机|飞机号|小飞机|(?<=加)飞机|电报(?=群|号|频道)|(?<![a-z])tg(?=群|号|频道|[:：])",
        "telegram",
    ),
    (r"(?<![a-z])sfz(?![a-z])", "身份证"),
    (r"(?<![a-z])yzm(?![a-z])", "验证码"),
    (r"(?<![a-z])yhk(?![a-z])", "银行卡"),
    (r"(?<![a-z])zfb(?![a-z])", "支付宝"),
]
# Dispatched on first character (see tokenscam.scanner): ~10× cheaper than the alternation.
_CONTACT = Scanner([(f"g{i}", p) for i, (p, _) in enumerate(_CONTACT_REWRITES)])
_CONTACT_REPL = {f"g{i}": r for i, (_, r) in enumerate(_CONTACT_REWRITES)}


@dataclass(frozen=True, slots=True)
class Normalised:
    """A normalised message and the way back to the original.

    ``starts[i]``/``ends[i]`` give the slice of ``original`` that normalised character ``i`` came
    from. Both are ``None`` when normalisation kept every position (the common case).
    """

    text: str
    original: str
    starts: tuple[int, ...] | None = None
    ends: tuple[int, ...] | None = None

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a ``[start, end)`` span of :attr:`text` to the matching span of :attr:`original`."""
        if end <= start:
            raise ValueError(f"empty span [{start}, {end})")
        if self.starts is None or self.ends is None:
            return start, end
        return self.starts[start], self.ends[end - 1]


def _apply_edits(
    text: str,
    starts: list[int],
    ends: list[int],
    edits: Iterable[tuple[int, int, str]],
) -> tuple[str, list[int], list[int]]:
    """Replace non-overlapping ``[s, e)`` regions; new characters map to the region's origin."""
    out: list[str] = []
    new_starts: list[int] = []
    new_ends: list[int] = []
    pos = 0
    for s, e, repl in edits:
        out.append(text[pos:s])
        new_starts.extend(starts[pos:s])
        new_ends.extend(ends[pos:s])
        if repl:
            out.append(repl)
            new_starts.extend([starts[s]] * len(repl))
            new_ends.extend([ends[e - 1]] * len(repl))
        pos = e
    out.append(text[pos:])
    new_starts.extend(starts[pos:])
    new_ends.extend(ends[pos:])
    return "".join(out), new_starts, new_ends


def _deinterleave(pattern: re.Pattern[str]) -> Callable[[str], list[tuple[int, int, str]]]:
    def edits(text: str) -> list[tuple[int, int, str]]:
        found: list[tuple[int, int, str]] = []
        for m in pattern.finditer(text):
            base = m.start()
            for sep in _SEP_CHARS.finditer(m.group()):
                found.append((base + sep.start(), base + sep.end(), ""))
        return found

    return edits


def _leet_edits(text: str) -> list[tuple[int, int, str]]:
    found = []
    for m in _LEET_CANDIDATE.finditer(text):
        word = m.group()
        for table in (_LEET, _LEET_ALT):
            fixed = word.translate(table).translate(_LEET)
            if fixed in _LEET_WORDS:
                found.append((m.start(), m.end(), fixed))
                break
    return found


def _contact_edits(text: str) -> list[tuple[int, int, str]]:
    return [(s, e, _CONTACT_REPL[name]) for name, s, e in _CONTACT.finditer(text)]


# Each pass: a cheap search that usually fails, and the edits to make when it does not.
_PASSES: list[tuple[re.Pattern[str] | None, Callable[[str], list[tuple[int, int, str]]]]] = [
    (_INTERLEAVED_CJK, _deinterleave(_INTERLEAVED_CJK)),
    (_SPLIT_PAIR, _deinterleave(_SPLIT_PAIR)),
    (_INTERLEAVED_LATIN, _deinterleave(_INTERLEAVED_LATIN)),
    (_LEET_CANDIDATE, _leet_edits),
    (None, _contact_edits),  # the scanner is its own cheap probe
]


def normalise(text: str) -> Normalised:
    """Normalise one message: NFKC, lower-case, traditional → simplified, invisible characters,
    separators between characters, look-alike and digit-for-letter spellings, contact-word
    variants and money emoji — all with a map back to ``text``."""
    if not isinstance(text, str):
        raise TypeError(f"expected str, got {type(text).__name__}")
    out = text.translate(_ONE)
    starts: list[int] | None = None
    ends: list[int] | None = None
    if _SLOW_CHARS.search(out):
        pieces: list[str] = []
        starts, ends = [], []
        for i, ch in enumerate(out):
            repl = _OTHER.get(ch, ch)
            pieces.append(repl)
            starts.extend([i] * len(repl))
            ends.extend([i + 1] * len(repl))
        out = "".join(pieces).translate(_ONE)
    for probe, edits in _PASSES:
        if probe is None or probe.search(out):
            found = edits(out)
            if found:
                if starts is None or ends is None:
                    starts, ends = list(range(len(out))), list(range(1, len(out) + 1))
                out, starts, ends = _apply_edits(out, starts, ends, found)
    if starts is None or ends is None:
        return Normalised(out, text)
    return Normalised(out, text, tuple(starts), tuple(ends))


def normalise_many(texts: Iterable[str]) -> list[str]:
    """Normalised text only, for the model's feature extractors."""
    return [normalise(t).text for t in texts]


@lru_cache(maxsize=1)
def table_size() -> int:
    """How many characters the one-to-one table rewrites (reported in the model card)."""
    return len(_ONE)

"""Contact and payment handles in a message: what an investigator blocks or reports next.

WeChat ids, QQ numbers, phone numbers, Telegram @handles and t.me links, URLs and domains, and
crypto wallet addresses (TRON ``T…``, Ethereum ``0x…``, Bitcoin). Ids that evaders spell oddly
(薇信, 扣扣, ➕V) are found through the normalised text; case-sensitive values (wallets, URLs) are
taken from the text as written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .normalise import normalise

__all__ = ["HANDLE_KINDS", "extract_handles"]

HANDLE_KINDS = (
    "wechat",
    "qq",
    "phone",
    "telegram",
    "url",
    "domain",
    "wallet_tron",
    "wallet_eth",
    "wallet_btc",
)

# On normalised text (lower case, 薇信 → 微信, ➕v → 加微信, 扣扣 → qq).
_WECHAT = re.compile(
    r"(?:微信|加微信|wechat|weixin|vx|wx)\s*(?:号|id)?\s*[:：]?\s*([a-z][a-z0-9_\-]{5,19})(?![a-z0-9_\-])"
)
_QQ = re.compile(r"qq\s*(?:号|群|群号)?\s*[:：]?\s*([1-9][0-9]{4,11})(?![0-9])")
_PHONE = re.compile(r"(?<![0-9])(?:\+?86[\s\-]?)?(1[3-9][0-9](?:[\s\-]?[0-9]{4}){2})(?![0-9])")
_TELEGRAM_LINK = re.compile(r"(?:https?://)?(?:t\.me|telegram\.me)/(\+?[a-z0-9_]{4,64})")
_TELEGRAM_AT = re.compile(r"(?<![a-z0-9_.@])@([a-z][a-z0-9_]{4,31})(?![a-z0-9_@.])")
# On the text as written.
_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"'，。！？、）)】]+", re.IGNORECASE)
_DOMAIN = re.compile(
    r"(?<![@\w.\-])((?:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)+"
    r"(?:com|cn|net|org|top|xyz|vip|io|cc|me|app|info|site|online|club|shop|tk|ml|ga|pro|example))"
    r"(?![\w\-])",
    re.IGNORECASE,
)
_TRON = re.compile(r"(?<![A-Za-z0-9])T[1-9A-HJ-NP-Za-km-z]{33}(?![A-Za-z0-9])")
_ETH = re.compile(r"(?<![A-Za-z0-9])0x[0-9a-fA-F]{40}(?![0-9a-fA-F])")
_BTC = re.compile(
    r"(?<![A-Za-z0-9])(?:bc1[ac-hj-np-z02-9]{11,71}|[13][a-km-zA-HJ-NP-Z1-9]{25,34})(?![A-Za-z0-9])"
)


def _dedupe(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def extract_handles(text: str) -> dict[str, list[str]]:
    """Handles found in ``text``, by kind, in order of appearance, without duplicates.
    Kinds with nothing found are left out."""
    norm = normalise(text).text
    found: dict[str, list[str]] = {
        "wechat": [m.group(1) for m in _WECHAT.finditer(norm)],
        "qq": [m.group(1) for m in _QQ.finditer(norm)],
        "phone": [re.sub(r"[\s\-]", "", m.group(1)) for m in _PHONE.finditer(norm)],
        "telegram": ["@" + m.group(1).lstrip("+") for m in _TELEGRAM_LINK.finditer(norm)]
        + ["@" + m.group(1) for m in _TELEGRAM_AT.finditer(norm)],
        "url": [u.rstrip(".,;:!?") for u in _URL.findall(text)],
        "wallet_tron": _TRON.findall(text),
        "wallet_eth": _ETH.findall(text),
        "wallet_btc": _BTC.findall(text),
    }
    url_hosts = {
        re.sub(r"^(?:https?://)?(?:www\.)?", "", u).split("/")[0].lower() for u in found["url"]
    }
    found["domain"] = [
        d.lower() for d in _DOMAIN.findall(text) if d.lower().removeprefix("www.") not in url_hosts
    ]
    return {k: _dedupe(v) for k, v in found.items() if v}

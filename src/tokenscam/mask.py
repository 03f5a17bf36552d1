"""Mask personal data — phone numbers, ID-card numbers, bank cards, emails, WeChat and QQ ids.

Masking keeps every string the same length (each hidden character becomes ``*``), so evidence
spans computed on the original text still point at the right characters of the masked one.
Used for ``--mask-pii`` outputs and for anything that reaches a log.
"""

from __future__ import annotations

import re

__all__ = ["mask_pii", "mask_value"]

_ID_CARD = re.compile(
    r"(?<![0-9A-Za-z])[1-9][0-9]{5}(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])[0-9]{2}[0-9]{3}[0-9Xx](?![0-9A-Za-z])"
)
_BANK_CARD = re.compile(r"(?<![0-9])(?:[0-9][ \-]?){15,18}[0-9](?![0-9])")
_PHONE = re.compile(r"(?<![0-9])(?:\+?86[ \-]?)?1[3-9][0-9](?:[ \-]?[0-9]{4}){2}(?![0-9])")
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
_CONTACT_ID = re.compile(
    r"((?:微信|薇信|威信|v信|wechat|weixin|vx|wx|qq|扣扣|企鹅)\s*(?:号|id)?\s*[:：]?\s*)"
    r"([A-Za-z0-9][A-Za-z0-9_\-]{4,19})",
    re.IGNORECASE,
)


def mask_value(value: str, keep_start: int = 2, keep_end: int = 2) -> str:
    """``13800001234`` → ``13*******34``: enough left to tell two values apart, not to use one."""
    chars = [c for c in value]
    hidden = [i for i, c in enumerate(chars) if c.isalnum()]
    for i in hidden[keep_start : max(keep_start, len(hidden) - keep_end)]:
        chars[i] = "*"
    return "".join(chars)


def mask_pii(text: str) -> str:
    """``text`` with personal data masked, same length."""
    text = _ID_CARD.sub(lambda m: mask_value(m.group(), 3, 2), text)
    text = _BANK_CARD.sub(lambda m: mask_value(m.group(), 4, 4), text)
    text = _PHONE.sub(lambda m: mask_value(m.group(), 3, 2), text)
    text = _EMAIL.sub(lambda m: mask_value(m.group(), 2, 4), text)
    return _CONTACT_ID.sub(lambda m: m.group(1) + mask_value(m.group(2), 2, 1), text)

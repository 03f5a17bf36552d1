"""Every export format tokenscam reads, in detection order, and how a file is matched to one."""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from . import discord, generic, line, qq, telegram, wechat, whatsapp
from .base import Reader, decode_head

__all__ = ["readers", "by_name", "detect", "names"]

# Most specific first: JSON with distinctive keys, CSV with exact headers, text with banners, then
# text recognised only by the shape of its header lines.
_ORDER = (
    "qq-chat-exporter-json",
    "discord-json",
    "telegram-json",
    "telegram-html",
    "memotrace-csv",
    "pywxdump-csv",
    "chatlog-csv",
    "discord-csv",
    "qq-txt",
    "qq-chat-exporter-txt",
    "line-txt",
    "whatsapp-txt",
    "memotrace-txt",
)


def readers() -> list[Reader]:
    """All readers: sniffing ones in detection order, then the rest (e.g. ``generic``)."""
    found: dict[str, Reader] = {}
    for module in (qq, discord, telegram, wechat, line, whatsapp, generic):
        for r in module.READERS:
            if r.name in found:
                raise RuntimeError(f"two readers are called {r.name!r}")
            found[r.name] = r
    ordered = [found[n] for n in _ORDER if n in found]
    return ordered + [r for n, r in found.items() if n not in _ORDER]


def names() -> list[str]:
    return [r.name for r in readers()]


def by_name(name: str) -> Reader:
    for r in readers():
        if r.name == name:
            return r
    raise InputError(f"unknown export format {name!r}; `tokenscam formats` lists them")


def detect(path: Path) -> Reader | None:
    """The reader whose sniffer recognises the file's first 64 KB, or None (a plain file, or an
    empty one: the plain contract reads it as zero records)."""
    if not path.is_file() or path.stat().st_size == 0:
        return None
    try:
        head, _ = decode_head(path)
    except InputError:
        return None  # undecodable or binary: the plain reader reports it line by line

    for r in readers():
        if r.sniff(head, path):
            return r
    return None

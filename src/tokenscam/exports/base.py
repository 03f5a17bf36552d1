"""What every chat-export reader produces, and the helpers they share.

A reader turns one export file into a stream of :class:`ChatMessage` (text to score),
:class:`Skipped` (media, stickers, system and service entries: counted, not scored) and
:class:`~tokenscam.errors.BadRecord` (a malformed entry, with where it is). Readers never
raise for one bad record; they raise :class:`~tokenscam.errors.InputError` only when the file as
a whole cannot be read. The driver (:mod:`tokenscam.exports.score`) accounts for every item, so
``read = scored + skipped + bad`` always holds.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import IO, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..errors import BadRecord, InputError

__all__ = [
    "ChatMessage",
    "OrphanLines",
    "Skipped",
    "Item",
    "ReadOptions",
    "Reader",
    "SNIFF_BYTES",
    "clean_text",
    "csv_records",
    "decode_head",
    "detect_encoding",
    "fixed_offset",
    "iso_from_epoch",
    "iso_from_local",
    "open_text",
    "URL_PATTERN",
    "urls_in",
]

SNIFF_BYTES = 64 * 1024


@dataclass(slots=True)
class ChatMessage:
    """One message with text, in the shape every output row takes."""

    source_format: str
    chat: str
    message_id: str
    sender_id: str
    sender: str
    timestamp: str | None
    text: str
    urls: list[str] = field(default_factory=list)
    location: str = ""  # "file:line" — where to look when something is wrong


@dataclass(slots=True)
class Skipped:
    """An entry that is not scored: media, sticker, system or service message."""

    kind: str  # "media" | "system" | "empty"
    location: str = ""


Item = ChatMessage | Skipped | BadRecord


class OrphanLines:
    """Lines of a text export that belong to no message header, reported as one
    :class:`BadRecord` per run (where it starts, how many lines) rather than one per line."""

    def __init__(self, source: str, expected: str) -> None:
        self.source = source
        self.expected = expected  # what such a line should have looked like
        self.start: int | None = None
        self.count = 0

    def add(self, lineno: int) -> None:
        if self.start is None:
            self.start = lineno
        self.count += 1

    def flush(self) -> Iterator[BadRecord]:
        """The run so far as one BadRecord (nothing if there is none); starts a new run."""
        if self.start is not None:
            what = "line" if self.count == 1 else f"{self.count} lines"
            yield BadRecord(self.source, self.start, f"{what} {self.expected}")
        self.start, self.count = None, 0


@dataclass(frozen=True)
class ReadOptions:
    """Settings a reader may need. ``timezone`` applies where the export has only local time."""

    timezone: str = "Asia/Shanghai"
    text_column: str | None = None
    sender_column: str | None = None
    time_column: str | None = None
    chat: str | None = None

    def tz(self) -> tzinfo:
        try:
            return ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise InputError(
                f"unknown time zone {self.timezone!r} (use e.g. Asia/Shanghai)"
            ) from exc


class Reader(Protocol):
    """A chat-export format. ``sniff`` sees the decoded first 64 KB and the file name;
    ``read`` streams the whole file."""

    name: str
    description: str
    detection: str  # how it is recognised, for `tokenscam formats`

    def sniff(self, head: str, path: Path) -> bool: ...

    def read(self, path: Path, options: ReadOptions) -> Iterator[Item]: ...


# --- decoding -----------------------------------------------------------------------------------

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def detect_encoding(head: bytes) -> str:
    """BOM, else strict UTF-8, else GB18030 (what Chinese Windows tools and Excel re-saves write)."""
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sniffed block is not an error.
        if exc.start >= len(head) - 3 and exc.reason == "unexpected end of data":
            return "utf-8"
    try:
        head.decode("gb18030")
        return "gb18030"
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3:
            return "gb18030"
        raise InputError(
            f"cannot decode the file as UTF-8 or GB18030 (byte {exc.start}); is it a text export?"
        ) from exc


_INVISIBLE = re.compile("[\u200b\u200e\u200f\u202a-\u202e\u2060\ufeff]")
_ODD_SPACES = str.maketrans({"\u202f": " ", "\u2009": " ", "\u00a0": " "})


_NEEDS_CLEANING = re.compile("[\u200b\u200e\u200f\u202a-\u202f\u2060\ufeff\u2009\u00a0]")


def clean_text(text: str) -> str:
    """Strip the invisible marks exporters insert; odd spaces become plain spaces."""
    if not _NEEDS_CLEANING.search(text):
        return text  # the common case, without building a new string
    return _INVISIBLE.sub("", text).translate(_ODD_SPACES)


def decode_head(path: Path) -> tuple[str, str]:
    """``(decoded first 64 KB, encoding)``; raises InputError for unreadable or binary files."""
    if path.is_dir():
        raise InputError(f"{path}: is a directory, expected an export file")
    if not path.exists():
        raise InputError(f"{path}: no such file")
    try:
        with path.open("rb") as fh:
            head = fh.read(SNIFF_BYTES)
    except OSError as exc:
        raise InputError(f"{path}: cannot open ({exc.strerror})") from exc
    if not head.strip():
        raise InputError(f"{path}: the file is empty")
    enc = detect_encoding(head)
    if enc == "utf-8" and b"\x00" in head:
        raise InputError(f"{path}: looks like a binary file (NUL bytes), expected a text export")
    text = head.decode(enc, errors="ignore")
    return clean_text(text).replace("\r\n", "\n").replace("\r", "\n"), enc


def open_text(path: Path, encoding: str | None = None) -> IO[str]:
    """The file as text, decoded as detected, newlines normalised (universal newlines)."""
    if encoding is None:
        with path.open("rb") as fh:
            encoding = detect_encoding(fh.read(SNIFF_BYTES))
    return io.open(path, encoding=encoding, errors="replace", newline=None)  # noqa: UP020


# --- CSV ----------------------------------------------------------------------------------------

CsvRecords = Iterator[tuple[int, "list[str] | None", str]]


def csv_records(fh: IO[str], delimiter: str = ",") -> CsvRecords:
    """``(first line of the record, cleaned fields, error)`` for every record that is not blank.

    One csv reader for the whole file, so a record that spans several lines (a quoted line
    break) still reports the line it starts on; a record the csv module rejects comes out with
    ``fields=None`` and the error, and reading continues with the next."""
    reader = csv.reader(fh, delimiter=delimiter)
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield start, None, f"malformed CSV record ({exc})"
            continue
        if not any(cell.strip() for cell in row):
            continue  # a blank line is not an entry
        yield start, [clean_text(cell) for cell in row], ""


# --- time ---------------------------------------------------------------------------------------


def iso_from_epoch(seconds: float, tz: tzinfo | None = None) -> str:
    """ISO 8601 with offset; ``tz`` decides the offset shown (UTC when None)."""
    return datetime.fromtimestamp(seconds, tz or UTC).isoformat()


def iso_from_local(value: datetime, tz: tzinfo) -> str:
    """A wall-clock time from an export that has no offset, placed in ``tz``."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value.isoformat()


def fixed_offset(minutes: int) -> tzinfo:
    return timezone(timedelta(minutes=minutes))


# --- links --------------------------------------------------------------------------------------

URL_PATTERN = re.compile(r"(?:https?://|www\.)[^\s<>\"'，。！？、）)】]+", re.IGNORECASE)


def urls_in(text: str) -> list[str]:
    return URL_PATTERN.findall(text)

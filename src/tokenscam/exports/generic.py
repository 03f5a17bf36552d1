"""Plain tables (CSV, TSV, JSONL, XLSX) whose columns the user names, and the time parser
shared by readers whose exports write free-form local dates.

The ``generic`` reader is never guessed: a table with a ``content`` column could be anything, so
it is used only when the user chooses it (``--format generic``) or names the columns
(``--text-column`` and optionally ``--sender-column``, ``--time-column``). The table kind is
then decided from the content, never from the file name.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from datetime import date, datetime, time, tzinfo
from pathlib import Path
from typing import Any

from ..errors import BadRecord, InputError
from .base import (
    ChatMessage,
    Item,
    ReadOptions,
    Skipped,
    clean_text,
    csv_records,
    decode_head,
    iso_from_epoch,
    iso_from_local,
    open_text,
)

__all__ = ["GenericReader", "READERS", "parse_time"]

_ZIP_MAGIC = b"PK\x03\x04"
_DELIMITERS = (",", "\t", ";", "|")

# --- time ---------------------------------------------------------------------------------------

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        1,
    )
    for name in names
}

# The clock part the date layouts below share: "16:09", "4:09:44 PM", "下午 4:09", "16:09:44.209"
_MERIDIEM = r"(?:上午|下午|[AaPp]\.?\s?[Mm]\.?)"
_CLOCK = (
    rf"(?:[ T,]+(?P<pre>{_MERIDIEM})?\s*"
    r"(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:[.,](?P<f>\d{1,9}))?)?"
    rf"\s*(?P<post>{_MERIDIEM})?"
    r"\s*(?P<tz>Z|UTC|GMT|[+-]\d{2}:?\d{2})?)?\s*$"
)
_NUMERIC_DATE = re.compile(
    r"^\s*(?P<a>\d{1,4})(?P<sep>[-/.])(?P<b>\d{1,2})(?P=sep)(?P<c>\d{1,4})" + _CLOCK
)
_DAY_MONTH_NAME = re.compile(
    r"^\s*(?P<d>\d{1,2})[-\s](?P<mon>[A-Za-z]{3,9})\.?[-\s,]+(?P<y>\d{2,4})" + _CLOCK
)
_MONTH_NAME_DAY = re.compile(
    r"^\s*(?P<mon>[A-Za-z]{3,9})\.?\s+(?P<d>\d{1,2}),?\s+(?P<y>\d{4})" + _CLOCK
)
_CJK_DATE = re.compile(r"^\s*(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})日" + _CLOCK)
_EPOCH = re.compile(r"^\s*(\d{9,13})(?:\.(\d+))?\s*$")
_MS_THRESHOLD = 100_000_000_000  # above this an epoch number is in milliseconds (year 5138+)


def parse_time(value: Any, tz: tzinfo) -> str | None:
    """ISO 8601 with offset for a time as exports and tables write it, or None if it is not one.

    Accepted: epoch seconds or milliseconds (numbers or digit strings), ISO 8601 with or without
    offset (``YYYY-MM-DD HH:MM:SS`` too), ``YYYY/M/D H:MM``, ``D.M.YYYY``, ``dd-MMM-yy hh:mm tt``,
    ``M/d/yyyy h:mm tt``, ``MMM d, yyyy``, ``YYYY年M月D日``, with 12-hour clocks in English or
    上午/下午, and :class:`datetime`/:class:`date` objects (spreadsheet cells). Times without
    an offset are wall-clock times placed in ``tz``; epochs are shown in ``tz`` too.

    Slashed dates whose day and month are both 12 or less are ambiguous: with an AM/PM marker
    they are read month first (the US layout that writes it), otherwise day first.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        return iso_from_local(value, tz)
    if isinstance(value, date):
        return iso_from_local(datetime.combine(value, time()), tz)
    if isinstance(value, int | float):
        return _from_epoch(float(value), tz)
    text = str(value)
    if not text.isascii():  # only then can it hold the marks clean_text removes
        text = clean_text(text)
    text = text.strip()
    if not text:
        return None
    m = _EPOCH.match(text)
    if m:
        return _from_epoch(float(text), tz)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        parsed = None
    if parsed is not None:
        return iso_from_local(parsed, tz)
    try:
        parsed = _parse_layouts(text)
    except ValueError:  # a layout matched but the numbers are not a date (month 13, hour 25 …)
        return None
    return None if parsed is None else iso_from_local(parsed, tz)


def _from_epoch(seconds: float, tz: tzinfo) -> str | None:
    if seconds >= _MS_THRESHOLD:
        seconds /= 1000.0
    try:
        return iso_from_epoch(seconds, tz)
    except (OverflowError, OSError, ValueError):
        return None


def _parse_layouts(text: str) -> datetime | None:
    m = _NUMERIC_DATE.match(text)
    if m:
        a, b, c = int(m["a"]), int(m["b"]), int(m["c"])
        if len(m["a"]) >= 3:  # YYYY-M-D, YYYY/M/D, YYYY.M.D
            year, month, day = a, b, c
        else:
            year = c
            twelve_hour = bool(m["pre"] or m["post"])
            if m["sep"] == "/" and (b > 12 or (a <= 12 and twelve_hour)):
                month, day = a, b
            else:
                day, month = a, b
        return _assemble(m, _full_year(year, len(m["c"]) if len(m["a"]) < 3 else 4), month, day)
    m = _DAY_MONTH_NAME.match(text) or _MONTH_NAME_DAY.match(text)
    if m:
        month = _MONTHS.get(m["mon"].lower())
        if month is None:
            return None
        return _assemble(m, _full_year(int(m["y"]), len(m["y"])), month, int(m["d"]))
    m = _CJK_DATE.match(text)
    if m:
        return _assemble(m, int(m["y"]), int(m["m"]), int(m["d"]))
    return None


def _full_year(year: int, digits: int) -> int:
    return 2000 + year if digits <= 2 else year


def _assemble(m: re.Match[str], year: int, month: int, day: int) -> datetime:
    if m["h"] is None:
        return datetime(year, month, day)
    hour = int(m["h"])
    meridiem = (m["pre"] or m["post"] or "").lower().replace(".", "").replace(" ", "")
    if meridiem in ("pm", "下午") and hour < 12:
        hour += 12
    elif meridiem in ("am", "上午") and hour == 12:
        hour = 0
    fraction = int((m["f"] or "0")[:6].ljust(6, "0"))
    value = datetime(year, month, day, hour, int(m["mi"]), int(m["s"] or 0), fraction)
    offset = m["tz"]
    if offset and offset not in ("UTC", "GMT", "Z"):
        value = datetime.fromisoformat(f"{value.isoformat()}{offset[:3]}:{offset[-2:]}")
    elif offset:
        value = datetime.fromisoformat(f"{value.isoformat()}+00:00")
    return value


# --- the reader ---------------------------------------------------------------------------------


class GenericReader:
    """A table the user describes by naming its columns: CSV, TSV, JSONL or XLSX."""

    name = "generic"
    description = "plain tables (CSV, TSV, JSONL, XLSX) with columns named by --text-column etc."
    detection = "never guessed: chosen with --format generic or by naming --text-column"

    def sniff(self, head: str, path: Path) -> bool:
        """Always False: any table could match, so guessing would steal other formats' files."""
        return False

    def read(self, path: Path, options: ReadOptions) -> Iterator[Item]:
        """Rows of the table as messages, in file order; the table kind is read from the content."""
        if not options.text_column:
            raise InputError(f"{path}: the generic reader needs --text-column (the message text)")
        options.tz()  # an unknown --timezone fails before any row is read
        if not path.is_file():
            decode_head(path)  # raises the InputError that says what is wrong with the path
        try:
            with path.open("rb") as fh:
                magic = fh.read(4)
        except OSError as exc:
            raise InputError(f"{path}: cannot open ({exc.strerror})") from exc
        if magic == _ZIP_MAGIC:
            yield from self._read_xlsx(path, options)
            return
        head, _ = decode_head(path)
        if head.lstrip().startswith("{"):
            yield from self._read_jsonl(path, options)
            return
        if head.lstrip().startswith("["):
            raise InputError(
                f"{path}: a JSON array; the generic reader takes JSON Lines (one object per line), "
                "CSV, TSV or XLSX"
            )
        header_line = head.split("\n", 1)[0]
        delimiter = max(_DELIMITERS, key=header_line.count)
        if not header_line.count(delimiter):
            delimiter = ","
        yield from self._read_csv(path, options, delimiter)

    # --- one builder for every table kind, so the kinds cannot drift apart ----------------

    def _message(
        self,
        path: Path,
        options: ReadOptions,
        line: int,
        fields: _Fields,
        values: Sequence[Any] | dict[str, Any],
    ) -> Item:
        location = f"{path.name}:{line}"
        raw_text = _get(values, fields.text)
        if isinstance(raw_text, dict | list):
            return BadRecord(
                path.name,
                line,
                f"field {options.text_column!r} is a {type(raw_text).__name__}, not text",
            )
        text = "" if raw_text is None else clean_text(_as_text(raw_text)).strip()
        if not text:
            return Skipped("empty", location)
        sender = "" if fields.sender is None else _as_text(_get(values, fields.sender)).strip()
        stamp = None
        if fields.time is not None:
            stamp = parse_time(_get(values, fields.time), fields.tz)
        message_id = str(line)
        if fields.ident is not None:
            ident = _as_text(_get(values, fields.ident)).strip()
            message_id = ident or message_id
        return ChatMessage(
            source_format=self.name,
            chat=options.chat or path.stem,
            message_id=message_id,
            sender_id=sender,
            sender=sender,
            timestamp=stamp,
            text=text,
            urls=[],
            location=location,
        )

    # --- CSV / TSV ----------------------------------------------------------------------------

    def _read_csv(self, path: Path, options: ReadOptions, delimiter: str) -> Iterator[Item]:
        with open_text(path) as fh:
            records = csv_records(fh, delimiter)
            first = next(records, None)
            if first is not None and first[1] is None:
                raise InputError(f"{path}:{first[0]}: cannot read the table header ({first[2]})")
            header = [h.strip() for h in first[1]] if first and first[1] else []
            fields = _Fields.locate(path, header, options)
            for start, row, error in records:
                if row is None:
                    yield BadRecord(path.name, start, error)
                    continue
                if len(row) != len(header):
                    yield BadRecord(
                        path.name,
                        start,
                        f"has {len(row)} fields, the header has {len(header)} "
                        f"(separator {delimiter!r}); an unquoted separator or line break?",
                    )
                    continue
                yield self._message(path, options, start, fields, row)

    # --- JSONL --------------------------------------------------------------------------------

    def _read_jsonl(self, path: Path, options: ReadOptions) -> Iterator[Item]:
        fields: _Fields | None = None
        with open_text(path) as fh:
            for line, raw in enumerate(fh, 1):
                if not raw.strip():
                    continue
                try:
                    obj = json.loads(raw.rstrip("\n"))
                except json.JSONDecodeError as exc:
                    yield BadRecord(
                        path.name, line, f"not valid JSON: {exc.msg} (column {exc.colno})"
                    )
                    continue
                if not isinstance(obj, dict):
                    yield BadRecord(
                        path.name, line, f"expected a JSON object, got {type(obj).__name__}"
                    )
                    continue
                if fields is None:
                    # The first object stands for the header: a misspelt column fails at once.
                    fields = _Fields.locate(path, list(obj), options, line=line, keyed=True)
                if fields.text not in obj:
                    yield BadRecord(path.name, line, f"no field {fields.text!r}")
                    continue
                yield self._message(path, options, line, fields, obj)

    # --- XLSX ---------------------------------------------------------------------------------

    def _read_xlsx(self, path: Path, options: ReadOptions) -> Iterator[Item]:
        import zipfile

        # imported here: only spreadsheets need openpyxl
        from openpyxl import load_workbook
        from openpyxl.utils.exceptions import InvalidFileException

        try:
            book = load_workbook(path, read_only=True, data_only=True)
        except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
            raise InputError(
                f"{path}: a ZIP file that is not a readable XLSX workbook ({exc})"
            ) from exc
        try:
            sheet = book.active if book.active is not None else book.worksheets[0]
            rows = sheet.iter_rows(values_only=True)
            header_row = next(rows, None)
            if header_row is None:
                raise InputError(f"{path}: the first sheet is empty, expected a header row")
            header = ["" if h is None else clean_text(str(h)).strip() for h in header_row]
            fields = _Fields.locate(path, header, options)
            for number, row in enumerate(rows, 2):
                if all(cell is None or str(cell).strip() == "" for cell in row):
                    continue  # an empty row is not a record (read-only sheets report styled ones)
                yield self._message(path, options, number, fields, row)
        finally:
            book.close()


class _Fields:
    """Where the named columns are: indices for tables, keys for JSON objects."""

    __slots__ = ("text", "sender", "time", "ident", "tz")

    def __init__(self, text: Any, sender: Any, time_: Any, ident: Any, tz: tzinfo) -> None:
        self.text = text
        self.sender = sender
        self.time = time_
        self.ident = ident
        self.tz = tz  # looked up once per file, not once per row

    @classmethod
    def locate(
        cls, path: Path, header: list[str], options: ReadOptions, line: int = 1, keyed: bool = False
    ) -> _Fields:
        """Indices (or, with ``keyed``, names) of the named columns. A named column that is
        absent is an error for the whole file: every row would lack it."""
        found = ", ".join(repr(h) for h in header) or "none"
        positions: dict[str, Any] = {}
        for i, name in enumerate(header):
            positions.setdefault(name, name if keyed else i)

        def place(name: str | None, flag: str) -> Any:
            if name is None:
                return None
            if name not in positions:
                raise InputError(
                    f"{path}:{line}: no column {name!r} for {flag} (columns found: {found})"
                )
            return positions[name]

        text = place(options.text_column, "--text-column")
        sender = place(options.sender_column, "--sender-column")
        time_ = place(options.time_column, "--time-column")
        ident = next((positions[h] for h in header if h.lower() == "id"), None)
        return cls(text, sender, time_, ident, options.tz())


def _get(values: Sequence[Any] | dict[str, Any], where: Any) -> Any:
    """The value at a column index (tables) or under a key (JSON objects)."""
    if isinstance(values, dict):
        return values.get(where)
    return values[where] if where < len(values) else None


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # spreadsheets store ids and numbers as floats
    return str(value)


READERS = [GenericReader()]

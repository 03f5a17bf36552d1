"""Batch scoring of JSONL, CSV and TXT files: the contract other systems call us through.

Each output row is the input row's fields, as they were, plus ``score``, ``verdict`` and
``tactics``. A malformed record is reported with its file and line and skipped (or, with
``strict``, stops the run); it never stops the other records and is never dropped silently:
``read = scored + bad + blank`` always holds and is reported.

Large inputs are scored by worker processes that are forked after the model is loaded (so they
share it), each parsing, scoring and serialising whole chunks of lines; the parent only cuts the
input into chunks and writes results back in order.
"""

from __future__ import annotations

import csv
import io
import json
import multiprocessing as mp
import os
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

from .detector import Detector, Result
from .errors import BadRecord, InputError

__all__ = ["BatchStats", "score_file", "FORMATS", "detect_format"]

FORMATS = ("jsonl", "csv", "txt")
RESULT_FIELDS = ("score", "verdict", "tactics")
DEFAULT_MAX_CHARS = 100_000
_CHUNK = 2000
_BLOCK_BYTES = 1 << 17
_SURROGATE = re.compile("[\udc80-\udcff]")  # undecodable bytes kept by surrogateescape
_PARALLEL_MIN_BYTES = 256 * 1024


@dataclass
class BatchStats:
    """What happened to every record read."""

    read: int = 0
    scored: int = 0
    bad: int = 0
    blank: int = 0
    errors: list[BadRecord] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"read": self.read, "scored": self.scored, "bad": self.bad, "blank": self.blank}


def detect_format(path: str, explicit: str | None) -> str:
    if explicit:
        if explicit not in FORMATS:
            raise InputError(f"unknown format {explicit!r}; expected one of {', '.join(FORMATS)}")
        return explicit
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix in ("jsonl", "ndjson"):
        return "jsonl"
    if suffix in ("csv", "tsv"):
        return "csv"
    if suffix in ("txt", "text"):
        return "txt"
    raise InputError(
        f"{path}: not a chat export tokenscam recognises (`tokenscam formats` lists them) and the "
        "name does not say .jsonl, .csv or .txt; use --format"
    )


# --- per-record work (runs in workers) --------------------------------------------------------


@dataclass(frozen=True)
class _Job:
    source: str
    in_format: str
    out_format: str
    text_column: str
    max_chars: int
    review: float | None
    block: float | None
    mask_pii: bool = False


def _tactics_field(result: Result, out_format: str) -> Any:
    if out_format == "csv":
        return ";".join(t.name for t in result.tactics)
    return [t.to_dict() for t in result.tactics]


def _loads(job: _Job, lineno: int, line: str) -> Any:
    """orjson where it can (≈4× faster), the standard library where it cannot (NaN, integers
    beyond 64 bits) — and the standard library's error message, which names the column."""
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        pass
    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        raise BadRecord(
            job.source, lineno, f"not valid JSON: {exc.msg} at column {exc.colno}"
        ) from exc


def _dumps_line(row: dict[str, Any]) -> str:
    try:
        return orjson.dumps(row, option=orjson.OPT_APPEND_NEWLINE).decode("utf-8")
    except TypeError:  # e.g. an integer beyond 64 bits that json.loads accepted
        return json.dumps(row, ensure_ascii=False) + "\n"


def _check_text(job: _Job, lineno: int, text: Any) -> str:
    if not isinstance(text, str):
        kind = "missing" if text is None else f"a {type(text).__name__}, not a string"
        raise BadRecord(job.source, lineno, f"field {job.text_column!r} is {kind}")
    if not text.strip():
        raise BadRecord(job.source, lineno, f"field {job.text_column!r} is empty")
    if len(text) > job.max_chars:
        raise BadRecord(
            job.source,
            lineno,
            f"text has {len(text)} characters, more than --max-chars {job.max_chars}",
        )
    if _SURROGATE.search(text):
        raise BadRecord(job.source, lineno, "text is not valid UTF-8")
    return text


def _parse_line(job: _Job, lineno: int, raw: bytes) -> tuple[dict[str, Any], str] | None:
    """``(fields, text)``, or None for a blank line. Raises BadRecord."""
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRecord(
            job.source, lineno, f"invalid UTF-8 at byte {exc.start} of the line"
        ) from exc
    if lineno == 1 and line.startswith("\ufeff"):
        line = line[1:]
    line = line.rstrip("\r\n")
    if job.in_format == "txt":
        if not line.strip():
            return None
        return {"text": line}, _check_text(job, lineno, line)
    if not line.strip():
        return None
    obj = _loads(job, lineno, line)
    if not isinstance(obj, dict):
        raise BadRecord(job.source, lineno, f"expected a JSON object, got {type(obj).__name__}")
    return obj, _check_text(job, lineno, obj.get(job.text_column))


def _score_records(
    detector: Detector, job: _Job, records: list[tuple[int, dict[str, Any], str]]
) -> list[tuple[int, dict[str, Any]]]:
    results = detector.score_many([t for _, _, t in records], review=job.review, block=job.block)
    out = []
    for (lineno, fields, _), r in zip(records, results, strict=True):
        row = dict(fields)
        row["score"] = round(r.score, 6)
        row["verdict"] = r.verdict
        row["tactics"] = _tactics_field(r, job.out_format)
        out.append((lineno, row))
    return out


_WORKER_DETECTOR: Detector | None = None


def _work_lines(
    args: tuple[_Job, tuple[int, bytes]],
) -> tuple[str | list[dict[str, Any]], int, list[BadRecord], int, int]:
    """Split, parse, score and (for JSONL) serialise one block of whole lines, so that the
    parent only cuts the input into blocks and writes results."""
    job, (first, block) = args
    assert _WORKER_DETECTOR is not None
    lines = block.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    records = []
    errors: list[BadRecord] = []
    blank = 0
    for lineno, raw in enumerate(lines, first):
        try:
            parsed = _parse_line(job, lineno, raw)
        except BadRecord as exc:
            errors.append(exc)
            continue
        if parsed is None:
            blank += 1
            continue
        records.append((lineno, parsed[0], parsed[1]))
    scored = _score_records(_WORKER_DETECTOR, job, records)
    rows: str | list[dict[str, Any]]
    if job.out_format == "jsonl":
        rows = "".join(map(_dumps_line, (row for _, row in scored)))
    else:
        rows = [row for _, row in scored]
    return rows, len(scored), errors, blank, len(lines)


# --- reading ----------------------------------------------------------------------------------


def _open_binary(path: str) -> IO[bytes]:
    if path == "-":
        return sys.stdin.buffer
    p = Path(path)
    if p.is_dir():
        raise InputError(f"{path}: is a directory, expected a file")
    if not p.exists():
        raise InputError(f"{path}: no such file")
    try:
        fh = p.open("rb")
    except OSError as exc:
        raise InputError(f"{path}: cannot open ({exc.strerror})") from exc
    head = fh.read(8192)
    if b"\x00" in head:
        fh.close()
        raise InputError(
            f"{path}: looks like a binary file (NUL byte in the first 8 KB), expected text"
        )
    fh.seek(0)
    return fh


def _line_blocks(fh: IO[bytes], size: int = _BLOCK_BYTES) -> Iterator[tuple[int, bytes]]:
    """``(number of the first line, bytes of whole lines)`` blocks of about ``size`` bytes."""
    lineno = 1
    while True:
        block = fh.read(size)
        if not block:
            return
        if not block.endswith(b"\n"):
            block += fh.readline()
        yield lineno, block
        lineno += block.count(b"\n")


def _csv_chunks(
    fh: IO[bytes],
    job: _Job,
    stats: BatchStats,
    report: Callable[[BadRecord], None],
    size: int = _CHUNK,
) -> Iterator[list[tuple[int, dict[str, Any], str]]]:
    text = io.TextIOWrapper(fh, encoding="utf-8-sig", errors="surrogateescape", newline="")
    sample = text.read(65536)
    if not sample.strip():
        return
    dialect: Any = csv.excel_tab if job.source.lower().endswith(".tsv") else csv.excel
    reader = csv.reader(_chain(sample, text), dialect)
    try:
        header = next(reader)
    except csv.Error as exc:
        raise InputError(f"{job.source}:1: cannot read the CSV header ({exc})") from exc
    if job.text_column not in header:
        raise InputError(
            f"{job.source}:1: no column {job.text_column!r} (columns: {', '.join(header) or 'none'}); "
            "use --text-column"
        )
    col = header.index(job.text_column)
    chunk: list[tuple[int, dict[str, Any], str]] = []
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            stats.read += 1
            report(BadRecord(job.source, reader.line_num, f"malformed CSV ({exc})"))
            continue
        lineno = reader.line_num
        stats.read += 1
        if not row or all(not c.strip() for c in row):
            stats.blank += 1
            continue
        if len(row) != len(header):
            report(
                BadRecord(
                    job.source, lineno, f"has {len(row)} fields, the header has {len(header)}"
                )
            )
            continue
        try:
            text_value = _check_text(job, lineno, row[col])
        except BadRecord as exc:
            report(exc)
            continue
        chunk.append((lineno, dict(zip(header, row, strict=True)), text_value))
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _chain(first: str, rest: IO[str]) -> Iterator[str]:
    yield from io.StringIO(first + rest.readline())
    yield from rest


# --- writing ----------------------------------------------------------------------------------


class _Writer:
    def __init__(self, path: str, out_format: str) -> None:
        self.format = out_format
        if path == "-":
            self.fh: IO[str] = io.TextIOWrapper(
                sys.stdout.buffer, encoding="utf-8", newline="", write_through=False
            )
            self._close = False
        else:
            try:
                self.fh = open(path, "w", encoding="utf-8", newline="")  # noqa: SIM115
            except OSError as exc:
                raise InputError(f"{path}: cannot write ({exc.strerror})") from exc
            self._close = True
        self._csv: Any = None
        self._columns: list[str] | None = None

    def write(self, row: dict[str, Any]) -> None:
        if self.format == "jsonl":
            self.fh.write(_dumps_line(row))
            return
        if self._csv is None:
            self._columns = [k for k in row if k not in RESULT_FIELDS] + list(RESULT_FIELDS)
            self._csv = csv.DictWriter(self.fh, self._columns, extrasaction="ignore")
            self._csv.writeheader()
        self._csv.writerow({k: _cell(v) for k, v in row.items()})

    def close(self) -> None:
        self.fh.flush()
        if self._close:
            self.fh.close()
        else:
            self.fh.detach()  # type: ignore[attr-defined]


def _cell(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return value


# --- driver -----------------------------------------------------------------------------------


def score_file(
    detector: Detector,
    input_path: str,
    output_path: str,
    *,
    in_format: str | None = None,
    out_format: str | None = None,
    text_column: str = "text",
    review: float | None = None,
    block: float | None = None,
    strict: bool = False,
    jobs: int | None = None,
    max_chars: int = DEFAULT_MAX_CHARS,
    on_error: Callable[[BadRecord], None] | None = None,
) -> BatchStats:
    """Score every record of ``input_path`` into ``output_path`` (``-`` for stdin/stdout)."""
    if input_path == "-" and in_format is None:
        in_format = "jsonl"
    if review is not None or block is not None:
        detector.verdict(0.0, review, block)
    fh = _open_binary(input_path)  # a missing file or a directory is named before anything else
    try:
        fmt = detect_format(input_path, in_format)
        if out_format is None:
            out_format = "jsonl" if output_path == "-" else _output_format(output_path)
        if out_format not in ("jsonl", "csv"):
            raise InputError(f"{output_path}: output must be .jsonl or .csv (got {out_format})")
        job = _Job(
            input_path,
            fmt,
            out_format,
            text_column if fmt != "txt" else "text",
            max_chars,
            review,
            block,
        )
        writer = _Writer(output_path, out_format)
        try:
            return _run(detector, fh, job, writer, strict, jobs, on_error)
        finally:
            writer.close()
    finally:
        if fh is not sys.stdin.buffer:
            fh.close()


def _run(
    detector: Detector,
    fh: IO[bytes],
    job: _Job,
    writer: _Writer,
    strict: bool,
    jobs: int | None,
    on_error: Callable[[BadRecord], None] | None,
) -> BatchStats:
    global _WORKER_DETECTOR
    stats = BatchStats()

    def report(err: BadRecord) -> None:
        stats.bad += 1
        stats.errors.append(err)
        if on_error:
            on_error(err)
        if strict:
            raise err

    _WORKER_DETECTOR = detector
    try:
        if job.in_format == "csv":
            for chunk in _csv_chunks(fh, job, stats, report):
                for _, row in _score_records(detector, job, chunk):
                    writer.write(row)
                    stats.scored += 1
            return stats
        size = _size(job.source)
        n_jobs = jobs if jobs is not None else (os.cpu_count() or 1)
        parallel = n_jobs > 1 and size is not None and size >= _PARALLEL_MIN_BYTES and not strict
        chunks = ((job, b) for b in _line_blocks(fh))
        if parallel:
            # Workers are forked after the model is loaded, so they share it.
            with mp.get_context("fork").Pool(n_jobs) as pool:
                _drain(pool.imap(_work_lines, chunks, chunksize=1), writer, stats, report)
        else:
            _drain(map(_work_lines, chunks), writer, stats, report)
        return stats
    finally:
        _WORKER_DETECTOR = None


def _drain(
    results: Iterator[Any], writer: _Writer, stats: BatchStats, report: Callable[[BadRecord], None]
) -> None:
    for rows, n_scored, errors, blank, n in results:
        stats.read += n
        stats.blank += blank
        for err in errors:
            report(err)
        if isinstance(rows, str):
            writer.fh.write(rows)
        else:
            for row in rows:
                writer.write(row)
        stats.scored += n_scored


def _output_format(path: str) -> str:
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix in ("jsonl", "ndjson", "json"):
        return "jsonl"
    if suffix == "csv":
        return "csv"
    raise InputError(f"{path}: output must end in .jsonl or .csv")


def _size(path: str) -> int | None:
    if path == "-":
        return None
    try:
        return os.path.getsize(path)
    except OSError:
        return None

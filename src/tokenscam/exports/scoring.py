"""Score a whole chat export: read, score in worker processes, write rows, roll up senders.

The reader streams items in the parent; messages go to workers in batches (forked after the
model is loaded, so they share it), which score them, apply ``--mask-pii``, serialise the output
rows and send back only what the summary and the report need. Every item read is accounted for:
``read = scored + skipped + bad``.
"""

from __future__ import annotations

import heapq
import multiprocessing as mp
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from ..detector import Detector
from ..errors import BadRecord, InputError
from ..handles import extract_handles
from ..mask import mask_pii
from .base import ChatMessage, Reader, ReadOptions, Skipped
from .summary import Summary

__all__ = ["ExportStats", "score_export", "OUTPUT_FIELDS"]

OUTPUT_FIELDS = (
    "source_format",
    "chat",
    "message_id",
    "sender_id",
    "sender",
    "timestamp",
    "text",
    "urls",
    "score",
    "verdict",
    "tactics",
)
_BATCH = 2000
_REPORT_MESSAGES = 500  # the highest-scoring flagged messages kept for the HTML report


@dataclass
class ExportStats:
    """What happened to every item read."""

    read: int = 0
    scored: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    bad: int = 0
    histogram: list[int] = field(default_factory=lambda: [0] * 20)
    timeline: dict[str, list[int]] = field(default_factory=dict)  # day → [messages, flagged]
    flagged: list[tuple[float, int, dict[str, Any]]] = field(default_factory=list)
    fatal: InputError | None = None  # the file broke off after some entries were read

    def counts(self) -> dict[str, Any]:
        return {
            "read": self.read,
            "scored": self.scored,
            "skipped": dict(self.skipped),
            "skipped_total": sum(self.skipped.values()),
            "bad": self.bad,
            "accounted": self.read == self.scored + sum(self.skipped.values()) + self.bad,
        }


@dataclass(frozen=True)
class _Job:
    review: float | None
    block: float | None
    mask: bool
    out_format: str


_DETECTOR: Detector | None = None


@dataclass
class _BatchResult:
    """What a worker sends back for one batch: the output, and one compact tuple per message
    for the summary (``chat, sender_id, sender, format, timestamp, score, verdict, tactics,
    handles``), plus the details of flagged messages for the report."""

    rows: Any
    facts: list[tuple[Any, ...]]
    flagged: list[tuple[float, dict[str, Any]]]


def _score_batch(args: tuple[_Job, list[ChatMessage]]) -> _BatchResult:
    """Score one batch in a worker."""
    job, batch = args
    assert _DETECTOR is not None
    results = _DETECTOR.score_many([m.text for m in batch], review=job.review, block=job.block)
    rows: list[dict[str, Any]] = []
    facts: list[tuple[Any, ...]] = []
    flagged_details: list[tuple[float, dict[str, Any]]] = []
    for m, r in zip(batch, results, strict=True):
        tactics = [t.to_dict() for t in r.tactics]
        text, sender, sender_id = m.text, m.sender, m.sender_id
        if job.mask:
            text, sender, sender_id = mask_pii(text), mask_pii(sender), mask_pii(sender_id)
            for t in tactics:
                for ev in t["evidence"]:
                    ev["text"] = mask_pii(ev["text"])
        row = {
            "source_format": m.source_format,
            "chat": m.chat,
            "message_id": m.message_id,
            "sender_id": sender_id,
            "sender": sender,
            "timestamp": m.timestamp,
            "text": text,
            "urls": m.urls,
            "score": round(r.score, 6),
            "verdict": r.verdict,
            "tactics": tactics
            if job.out_format == "jsonl"
            else ";".join(t.name for t in r.tactics),
        }
        rows.append(row)
        flagged = r.verdict != "pass"
        facts.append(
            (
                m.chat,
                m.sender_id,
                m.sender,
                m.source_format,
                m.timestamp,
                r.score,
                r.verdict,
                [t.name for t in r.tactics] if flagged else (),
                extract_handles(m.text + "\n" + "\n".join(m.urls)) if flagged else None,
            )
        )
        if flagged:
            detail = {
                k: row[k]
                for k in ("chat", "sender_id", "sender", "timestamp", "text", "score", "verdict")
            }
            detail |= {"tactics": tactics, "message_id": m.message_id}
            flagged_details.append((r.score, detail))
    out: Any = rows
    if job.out_format == "jsonl":
        out = b"".join(orjson.dumps(row, option=orjson.OPT_APPEND_NEWLINE) for row in rows)
    return _BatchResult(out, facts, flagged_details)


def _batches(
    items: Iterable[Any],
    stats: ExportStats,
    report: Callable[[BadRecord], None],
    progress: Callable[[int], None] | None,
    job: _Job,
) -> Iterator[tuple[_Job, list[ChatMessage]]]:
    batch: list[ChatMessage] = []
    try:
        for item in _counted(items, stats, report, progress):
            batch.append(item)
            if len(batch) >= _BATCH:
                yield job, batch
                batch = []
    except InputError as exc:
        # The file broke off: score what was read before it, then report.
        stats.fatal = exc
    if batch:
        yield job, batch


def _counted(
    items: Iterable[Any],
    stats: ExportStats,
    report: Callable[[BadRecord], None],
    progress: Callable[[int], None] | None,
) -> Iterator[ChatMessage]:
    for item in items:
        stats.read += 1
        if progress is not None and stats.read % 10_000 == 0:
            progress(stats.read)
        if isinstance(item, ChatMessage):
            yield item
        elif isinstance(item, Skipped):
            stats.skipped[item.kind] += 1
        elif isinstance(item, BadRecord):
            report(item)
        else:  # pragma: no cover - a reader bug, not bad input
            raise TypeError(f"reader produced {type(item).__name__}")


def score_export(
    detector: Detector,
    path: Path,
    reader: Reader,
    writer: Callable[[Any], None],
    *,
    options: ReadOptions,
    summary: Summary,
    out_format: str = "jsonl",
    review: float | None = None,
    block: float | None = None,
    mask: bool = False,
    strict: bool = False,
    jobs: int | None = None,
    on_error: Callable[[BadRecord], None] | None = None,
    progress: Callable[[int], None] | None = None,
) -> ExportStats:
    """Score every message of an export; ``writer`` receives serialised JSONL bytes or CSV rows.

    ``summary`` (a :class:`~tokenscam.exports.summary.Summary`) is fed as results arrive.
    """
    global _DETECTOR
    if review is not None or block is not None:
        detector.verdict(0.0, review, block)
    stats = ExportStats()

    def report(err: BadRecord) -> None:
        stats.bad += 1
        if on_error:
            on_error(err)
        if strict:
            raise err

    job = _Job(review, block, mask, out_format)
    batches = _batches(reader.read(path, options), stats, report, progress, job)
    n_jobs = jobs if jobs is not None else (os.cpu_count() or 1)
    size = path.stat().st_size if path.exists() else 0
    _DETECTOR = detector
    try:
        if n_jobs > 1 and not strict and size > 256 * 1024:
            with mp.get_context("fork").Pool(n_jobs) as pool:
                _collect(pool.imap(_score_batch, batches), writer, summary, stats)
        else:
            _collect(map(_score_batch, batches), writer, summary, stats)
    finally:
        _DETECTOR = None
    if progress is not None:
        progress(stats.read)
    return stats


def _collect(
    results: Iterable[_BatchResult],
    writer: Callable[[Any], None],
    summary: Summary,
    stats: ExportStats,
) -> None:
    counter = 0
    histogram = stats.histogram
    timeline = stats.timeline
    add = summary.add_fact
    for res in results:
        writer(res.rows)
        stats.scored += len(res.facts)
        for fact in res.facts:
            add(fact)
            score, ts = fact[5], fact[4]
            histogram[min(int(score * 20), 19)] += 1
            if ts:
                cell = timeline.get(ts[:10])
                if cell is None:
                    cell = timeline[ts[:10]] = [0, 0]
                cell[0] += 1
                cell[1] += fact[6] != "pass"
        for score, detail in res.flagged:
            counter += 1
            entry = (score, -counter, detail)
            if len(stats.flagged) < _REPORT_MESSAGES:
                heapq.heappush(stats.flagged, entry)
            else:
                heapq.heappushpop(stats.flagged, entry)

"""One call that scores an export file into an output file, a summary and a report."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from ..detector import Detector
from ..errors import BadRecord, InputError
from ..tactics import TACTICS
from .base import Reader, ReadOptions
from .report import render_report
from .scoring import OUTPUT_FIELDS, ExportStats, score_export
from .summary import Summary

__all__ = ["run_export"]


class _Output:
    """Scored rows to a file or stdout: JSONL as the workers' bytes, CSV through the csv module."""

    def __init__(self, path: str, out_format: str) -> None:
        self.format = out_format
        self._close = path != "-"
        try:
            if out_format == "jsonl":
                self.bin: IO[bytes] = sys.stdout.buffer if path == "-" else open(path, "wb")  # noqa: SIM115
            else:
                self.text: IO[str] = (
                    io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="")
                    if path == "-"
                    else open(path, "w", encoding="utf-8", newline="")  # noqa: SIM115
                )
                self.csv = csv.DictWriter(self.text, OUTPUT_FIELDS)
                self.csv.writeheader()
        except OSError as exc:
            raise InputError(f"{path}: cannot write ({exc.strerror})") from exc

    def write(self, rows: Any) -> None:
        if self.format == "jsonl":
            self.bin.write(rows)
            return
        for row in rows:
            self.csv.writerow({**row, "urls": " ".join(row["urls"])})

    def close(self) -> None:
        if self.format == "jsonl":
            self.bin.flush()
            if self._close:
                self.bin.close()
        else:
            self.text.flush()
            if self._close:
                self.text.close()
            else:
                self.text.detach()


def run_export(
    detector: Detector,
    path: Path,
    output_path: str,
    *,
    reader: Reader,
    options: ReadOptions,
    out_format: str = "jsonl",
    review: float | None = None,
    block: float | None = None,
    mask: bool = False,
    strict: bool = False,
    jobs: int | None = None,
    summary_path: str | None = None,
    report_path: str | None = None,
    on_error: Callable[[BadRecord], None] | None = None,
    progress: Callable[[int], None] | None = None,
) -> tuple[ExportStats, dict[str, Any]]:
    """Score ``path`` with ``reader``; returns the counts and the summary (also written to
    ``summary_path`` and rendered to ``report_path`` when given)."""
    if not path.is_file():
        raise InputError(f"{path}: {'is a directory' if path.is_dir() else 'no such file'}")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: the file is empty, expected a {reader.name} export")
    summary = Summary()
    out = _Output(output_path, out_format)
    try:
        stats = score_export(
            detector,
            path,
            reader,
            out.write,
            options=options,
            summary=summary,
            out_format=out_format,
            review=review,
            block=block,
            mask=mask,
            strict=strict,
            jobs=jobs,
            on_error=on_error,
            progress=progress,
        )
    finally:
        out.close()
    result = {
        "source": path.name,
        "source_format": reader.name,
        "model": detector.version,
        "thresholds": {
            "review": review if review is not None else detector.review_threshold,
            "block": block if block is not None else detector.block_threshold,
        },
        "masked": mask,
        **summary.to_dict(stats.counts(), mask=mask),
    }
    if summary_path:
        Path(summary_path).write_text(
            json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
    if report_path:
        flagged = [detail for _, _, detail in sorted(stats.flagged, reverse=True)]
        html = render_report(
            source=path.name,
            source_format=reader.name,
            model_version=detector.version,
            thresholds=result["thresholds"],
            summary=result,
            histogram=stats.histogram,
            timeline=stats.timeline,
            flagged=flagged,
            labels={t.name: t.label for t in TACTICS},
        )
        Path(report_path).write_text(html, encoding="utf-8")
    if stats.fatal is not None:
        # Everything read before the break is scored and written above; now say where it broke.
        raise stats.fatal
    return stats, result

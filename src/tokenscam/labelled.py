"""Labelled JSONL for evaluation: ``{"text", "label" (0, 1 or null), "kind", "source"}``."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from .errors import BadRecord, InputError

__all__ = ["load_labelled"]


def load_labelled(
    paths: Iterable[str],
    text_column: str = "text",
    on_error: Callable[[BadRecord], None] | None = None,
) -> list[dict[str, Any]]:
    """Rows with ``text``, ``label`` (0/1/None), ``kind`` and ``source`` (default: the file name).

    A malformed line is reported through ``on_error`` and skipped; an unreadable file raises.
    """
    rows: list[dict[str, Any]] = []
    for path in paths:
        p = Path(path)
        if p.is_dir():
            raise InputError(f"{path}: is a directory, expected a JSONL file")
        if not p.is_file():
            raise InputError(f"{path}: no such file")
        with p.open("rb") as fh:
            for lineno, raw in enumerate(fh, 1):
                try:
                    row = _parse(path, lineno, raw, text_column, p.stem)
                except BadRecord as exc:
                    if on_error:
                        on_error(exc)
                    continue
                if row is not None:
                    rows.append(row)
    return rows


def _parse(
    path: str, lineno: int, raw: bytes, text_column: str, stem: str
) -> dict[str, Any] | None:
    try:
        line = raw.decode("utf-8-sig" if lineno == 1 else "utf-8")
    except UnicodeDecodeError as exc:
        raise BadRecord(path, lineno, f"invalid UTF-8 at byte {exc.start} of the line") from exc
    if not line.strip():
        return None
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise BadRecord(path, lineno, f"not valid JSON: {exc.msg}") from exc
    if not isinstance(obj, dict):
        raise BadRecord(path, lineno, "expected a JSON object")
    text = obj.get(text_column)
    if not isinstance(text, str) or not text.strip():
        raise BadRecord(path, lineno, f"field {text_column!r} is missing or empty")
    if "label" not in obj:
        raise BadRecord(path, lineno, "field 'label' is missing (use null for unlabelled rows)")
    label = obj["label"]
    if label not in (0, 1, None) or isinstance(label, bool):
        raise BadRecord(path, lineno, f"label must be 0, 1 or null, got {label!r}")
    return {
        "text": text,
        "label": label,
        "kind": str(obj.get("kind") or "unknown"),
        "source": str(obj.get("source") or stem),
    }

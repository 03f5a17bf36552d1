"""A chat export sent over HTTP, scored by the library's batch reader on a temporary file."""

from __future__ import annotations

import os
import re
import tempfile
import threading
from pathlib import Path
from typing import Any

import orjson
from werkzeug.datastructures import FileStorage

from tokenscam import BadRecord, Detector, InputError
from tokenscam.exports import registry
from tokenscam.exports.base import ReadOptions
from tokenscam.exports.run import run_export
from tokenscam.mask import mask_pii

__all__ = ["UploadError", "score_upload"]

# The export scorer keeps the detector in a module global while it runs: one upload at a time
# per process (a sync worker serves one request at a time anyway).
_LOCK = threading.Lock()
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")
_MAX_ERRORS = 100


class UploadError(Exception):
    """The upload is not a chat export we can read; the message says why (safe to show)."""


def _file_name(original: str | None) -> str:
    """A harmless local name that keeps what sniffers look at (the extension, ``result``)."""
    base = os.path.basename((original or "").replace("\\", "/"))
    stem, ext = os.path.splitext(base)
    stem = _SAFE.sub("_", stem).strip("._")[:60] or "upload"
    ext = _SAFE.sub("", ext)[:10]
    return stem + ext


def score_upload(
    upload: FileStorage,
    detector: Detector,
    *,
    fmt: str | None = None,
    timezone: str = "Asia/Shanghai",
    mask: bool = False,
    text_column: str | None = None,
    sender_column: str | None = None,
    time_column: str | None = None,
) -> dict[str, Any]:
    """``{"summary", "messages", "errors"}`` for one uploaded export."""
    with tempfile.TemporaryDirectory(prefix="tokenscam-upload-") as tmp:
        path = Path(tmp) / _file_name(upload.filename)
        upload.save(path)
        if path.stat().st_size == 0:
            raise UploadError("the uploaded file is empty")
        try:
            reader = registry.by_name(fmt) if fmt else registry.detect(path)
        except InputError as exc:
            raise UploadError(str(exc)) from exc
        if reader is None:
            raise UploadError(
                "not a chat export we recognise (WeChat, QQ, Telegram, WhatsApp, LINE, Discord); "
                "for a plain table give format=generic and its columns"
            )
        options = ReadOptions(
            timezone=timezone,
            text_column=text_column or None,
            sender_column=sender_column or None,
            time_column=time_column or None,
        )
        errors: list[dict[str, Any]] = []

        def on_error(err: BadRecord) -> None:
            if len(errors) < _MAX_ERRORS:
                errors.append({"line": err.line, "message": mask_pii(err.message)})

        out = Path(tmp) / "scored.jsonl"
        try:
            options.tz()
            with _LOCK:
                _, summary = run_export(
                    detector,
                    path,
                    str(out),
                    reader=reader,
                    options=options,
                    out_format="jsonl",
                    mask=mask,
                    jobs=1,
                    on_error=on_error,
                )
        except InputError as exc:
            # The library names the temporary file; the client knows it by its own name.
            message = str(exc).replace(str(path), upload.filename or "upload")
            raise UploadError(mask_pii(message)) from None
        with out.open("rb") as fh:
            messages = [orjson.loads(line) for line in fh if line.strip()]
    summary["source"] = upload.filename or path.name
    return {"summary": summary, "messages": messages, "errors": errors}

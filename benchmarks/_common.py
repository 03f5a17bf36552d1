"""Shared helpers: where the real evaluation text lives and how to describe this machine."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("TOKENSCAM_SHARED", ROOT.parent / "shared"))
EXTERNAL = SHARED / "data" / "external"


def real_texts(
    limit: int, files: tuple[str, ...] = ("ordinary.jsonl", "hard_negative.jsonl")
) -> list[str]:
    """Real text written by others (read from ../shared, never copied into the repo)."""
    texts: list[str] = []
    for name in files:
        with (EXTERNAL / name).open(encoding="utf-8") as fh:
            for line in fh:
                texts.append(json.loads(line)["text"])
    if not texts:
        raise SystemExit(f"no text under {EXTERNAL}")
    out = []
    while len(out) < limit:
        out.extend(texts[: limit - len(out)])
    return out


def machine() -> str:
    cpus = os.cpu_count()
    return f"{platform.machine()}, {cpus} cores, Python {platform.python_version()}"

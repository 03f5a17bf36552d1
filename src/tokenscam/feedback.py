"""Moderators' decisions as training rows, for ``tokenscam train --feedback``.

The source is the service's database (a SQLite file or a PostgreSQL URL) or the JSONL the review
page exports. For each message only its newest decision counts; a message whose text was not
stored cannot be trained on and is counted, not used. "scam" becomes a scam row; "not scam" a
hard negative — it landed in review, so it uses the same words as a pitch.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .corpus import Row
from .errors import InputError
from .store import LABELS, Store, StoreError, text_sha256

__all__ = ["Feedback", "load_feedback", "feedback_rows"]

# Feedback has no scheme families: spreading it over pseudo-families by text hash puts some of it
# in every cross-validation fold instead of all of it in one.
_FAMILIES = 16


@dataclass
class Feedback:
    rows: list[Row]
    source: str
    counts: Counter[str] = field(default_factory=Counter)

    def card(self) -> dict[str, Any]:
        """What the model card records about the feedback it was trained with."""
        import hashlib

        h = hashlib.sha256()
        for r in sorted(self.rows, key=lambda r: r.id):
            h.update(f"{r.id}\t{r.label}\t{r.text}\n".encode())
        return {
            "source": Path(self.source).name if "://" not in self.source else "database",
            "rows": len(self.rows),
            "sha256": h.hexdigest(),
            "counts": dict(sorted(self.counts.items())),
        }


def _jsonl_records(path: Path) -> Iterator[dict[str, Any]]:
    with path.open("rb") as fh:
        for lineno, raw in enumerate(fh, 1):
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise InputError(f"{path}:{lineno}: not valid JSON ({exc})") from exc
            if not isinstance(obj, dict):
                raise InputError(f"{path}:{lineno}: expected a JSON object")
            yield obj


def _is_sqlite(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(16) == b"SQLite format 3\x00"


def _records(source: str) -> Iterable[dict[str, Any]]:
    if source.startswith(("postgresql://", "postgres://", "sqlite://")):
        return Store(source).iter_decisions()
    path = Path(source)
    if not path.is_file():
        raise InputError(f"{source}: no such file (give the service's database or a JSONL export)")
    if _is_sqlite(path):
        return Store(str(path)).iter_decisions()
    return _jsonl_records(path)


def feedback_rows(records: Iterable[dict[str, Any]]) -> tuple[list[Row], Counter[str]]:
    """Rows from decision records (newest decision per item wins) and what was left out, why."""
    newest: dict[Any, dict[str, Any]] = {}
    counts: Counter[str] = Counter()
    for rec in records:
        counts["decisions"] += 1
        key = rec.get("item_id", rec.get("text_sha256"))
        prev = newest.get(key)
        if prev is None or int(rec.get("decision_id") or 0) >= int(prev.get("decision_id") or 0):
            newest[key] = rec
    rows: list[Row] = []
    seen: set[str] = set()
    for _key, rec in sorted(newest.items(), key=lambda kv: str(kv[0])):
        label, text = rec.get("label"), rec.get("text")
        if label not in LABELS:
            counts["bad_label"] += 1
            continue
        if not isinstance(text, str) or not text.strip():
            counts["no_text"] += 1
            continue
        if text.strip() in seen:
            counts["duplicate"] += 1
            continue
        seen.add(text.strip())
        digest = text_sha256(text)
        scam = label == "scam"
        rows.append(
            Row(
                id=f"feedback-{digest[:16]}",
                text=text,
                label=1 if scam else 0,
                kind="scam" if scam else "hard_negative",
                family=f"feedback-{int(digest[:8], 16) % _FAMILIES:02d}",
                platform="feedback",
                source="feedback",
            )
        )
        counts["scam" if scam else "not_scam"] += 1
    return rows, counts


def load_feedback(source: str) -> Feedback:
    """Decisions from a database or a JSONL export, as training rows."""
    try:
        rows, counts = feedback_rows(_records(source))
    except StoreError as exc:
        raise InputError(f"{source}: {exc}") from exc
    return Feedback(rows, source, counts)

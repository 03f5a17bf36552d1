"""Results as the API returns them and as the pages show them (evidence cut into segments)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from flask import current_app

from tokenscam import Result
from tokenscam.store import StoreError

__all__ = ["result_json", "queue_for_review", "Segment", "highlight", "VERDICT_LABELS"]

log = logging.getLogger(__name__)

VERDICT_LABELS = {"pass": "通过", "review": "待审核", "block": "拦截"}


def result_json(result: Result, message_id: Any, sender: Any = None) -> dict[str, Any]:
    """One entry of ``results``: the CLI's fields, with the caller's id (and sender)."""
    out: dict[str, Any] = {"id": message_id}
    if sender is not None:
        out["sender"] = sender
    out["score"] = round(result.score, 6)
    out["verdict"] = result.verdict
    out["tactics"] = [t.to_dict() for t in result.tactics]
    out["top_terms"] = [t.to_dict() for t in result.top_terms]
    return out


def queue_for_review(text: str, result: Result, *, source: str, origin: str) -> bool:
    """Put a ``review`` result in the moderators' queue (text kept only if the operator enabled
    it). A queue that cannot be written is logged, not raised: the caller's answer still stands."""
    try:
        current_app.extensions["tokenscam.store"].add_review_item(
            source=source,
            origin=origin,
            text=text,
            store_text=bool(current_app.config["STORE_TEXT"]),
            score=result.score,
            verdict=result.verdict,
            tactics=[t.to_dict() for t in result.tactics],
            model_version=result.model_version,
        )
    except StoreError as exc:
        log.warning("could not queue a review item: %s", exc)
        return False
    return True


@dataclass(frozen=True)
class Segment:
    """A run of the original text; ``kind`` is "tactic", "term" or "" (plain)."""

    text: str
    kind: str = ""
    title: str = ""


def highlight(
    text: str,
    tactics: list[dict[str, Any]],
    top_terms: list[dict[str, Any]] | None = None,
) -> list[Segment]:
    """Cut ``text`` at every evidence span: tactic evidence wins over a top term's."""
    n = len(text)
    kind = [""] * n
    title: list[list[str]] = [[] for _ in range(n)]
    for term in top_terms or []:
        for ev in term.get("evidence", []):
            for i in range(max(0, ev["start"]), min(n, ev["end"])):
                if not kind[i]:
                    kind[i] = "term"
    for tactic in tactics:
        for ev in tactic.get("evidence", []):
            for i in range(max(0, ev["start"]), min(n, ev["end"])):
                kind[i] = "tactic"
                if tactic["label"] not in title[i]:
                    title[i].append(tactic["label"])
    segments: list[Segment] = []
    start = 0
    for i in range(1, n + 1):
        if i == n or kind[i] != kind[start] or title[i] != title[start]:
            segments.append(Segment(text[start:i], kind[start], "、".join(title[start])))
            start = i
    return segments

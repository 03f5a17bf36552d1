"""Who in this chat is running the scam: the per-sender and per-chat roll-up of scored messages.

Senders are ranked by *expected pitches* — the sum of their messages' scores — then by how many
were flagged and by their highest score. A sender who pitches again and again piles up score; one
who once quoted a pitch to warn the group has one message, usually passed, at most one flagged.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..mask import mask_pii, mask_value

__all__ = ["Summary", "SenderStats"]


def _when(ts: str | None) -> datetime | None:
    if not ts:
        return None
    try:
        return datetime.fromisoformat(ts)
    except ValueError:
        return None


@dataclass
class SenderStats:
    sender_id: str
    names: Counter[str] = field(default_factory=Counter)
    chats: set[str] = field(default_factory=set)
    messages: int = 0
    flagged: int = 0
    blocked: int = 0
    score_sum: float = 0.0
    max_score: float = 0.0
    tactics: Counter[str] = field(default_factory=Counter)
    first: datetime | None = None
    last: datetime | None = None
    handles: dict[str, dict[str, None]] = field(default_factory=dict)

    def add(
        self,
        name: str,
        chat: str,
        score: float,
        verdict: str,
        tactics: list[str],
        when: datetime | None,
        handles: dict[str, list[str]] | None,
    ) -> None:
        names = self.names
        names[name] = names.get(name, 0) + 1
        self.chats.add(chat)
        self.messages += 1
        self.score_sum += score
        if score > self.max_score:
            self.max_score = score
        if verdict != "pass":
            self.flagged += 1
            for t in tactics:
                self.tactics[t] = self.tactics.get(t, 0) + 1
            if verdict == "block":
                self.blocked += 1
        if when is not None:
            try:
                self.first = when if self.first is None or when < self.first else self.first
                self.last = when if self.last is None or when > self.last else self.last
            except TypeError:  # naive and aware times cannot be compared: keep the first kind seen
                pass
        for kind, values in (handles or {}).items():
            self.handles.setdefault(kind, {}).update(dict.fromkeys(values))

    def merge(self, other: SenderStats) -> None:
        self.names.update(other.names)
        self.chats |= other.chats
        self.messages += other.messages
        self.flagged += other.flagged
        self.blocked += other.blocked
        self.score_sum += other.score_sum
        self.max_score = max(self.max_score, other.max_score)
        self.tactics.update(other.tactics)
        for when in (other.first, other.last):
            if when is None:
                continue
            try:
                self.first = when if self.first is None or when < self.first else self.first
                self.last = when if self.last is None or when > self.last else self.last
            except TypeError:
                pass
        for kind, values in other.handles.items():
            self.handles.setdefault(kind, {}).update(values)

    def rank_key(self) -> tuple[float, int, float]:
        return (self.score_sum, self.flagged, self.max_score)

    def to_dict(self, mask: bool) -> dict[str, Any]:
        name = self.names.most_common(1)[0][0] if self.names else ""
        handles = {
            k: [mask_value(v) if mask and k in ("wechat", "qq", "phone") else v for v in vals]
            for k, vals in self.handles.items()
        }
        return {
            "sender_id": mask_pii(self.sender_id) if mask else self.sender_id,
            "sender": mask_pii(name) if mask else name,
            "other_names": [mask_pii(n) if mask else n for n, _ in self.names.most_common()[1:]],
            "chats": sorted(self.chats),
            "messages": self.messages,
            "flagged": self.flagged,
            "blocked": self.blocked,
            "expected_pitches": round(self.score_sum, 4),
            "max_score": round(self.max_score, 6),
            "mean_score": round(self.score_sum / self.messages, 6) if self.messages else 0.0,
            "tactics": dict(self.tactics.most_common()),
            "first": self.first.isoformat() if self.first else None,
            "last": self.last.isoformat() if self.last else None,
            "handles": handles,
        }


@dataclass
class _ChatStats:
    messages: int = 0
    flagged: int = 0
    senders: set[str] = field(default_factory=set)
    flagged_senders: set[str] = field(default_factory=set)
    formats: set[str] = field(default_factory=set)


class Summary:
    """Accumulates scored messages; :meth:`to_dict` is the ``--summary`` JSON."""

    def __init__(self) -> None:
        self.senders: dict[str, SenderStats] = {}
        self.chats: dict[str, _ChatStats] = {}
        self.verdicts: Counter[str] = Counter()

    def add(
        self,
        *,
        chat: str,
        sender_id: str,
        sender: str,
        source_format: str,
        timestamp: str | None,
        score: float,
        verdict: str,
        tactics: list[str],
        handles: dict[str, list[str]] | None = None,
    ) -> None:
        key = sender_id or sender or "(unknown)"
        stats = self.senders.get(key)
        if stats is None:
            stats = self.senders[key] = SenderStats(key)
        stats.add(sender, chat, score, verdict, tactics, _when(timestamp), handles)
        c = self.chats.setdefault(chat, _ChatStats())
        c.messages += 1
        c.senders.add(key)
        c.formats.add(source_format)
        if verdict != "pass":
            c.flagged += 1
            c.flagged_senders.add(key)
        self.verdicts[verdict] += 1

    def add_fact(self, fact: tuple[Any, ...]) -> None:
        """:meth:`add` for a worker's compact tuple (chat, sender_id, sender, source_format,
        timestamp, score, verdict, tactics, handles): the hot path of a large export."""
        chat, sender_id, sender, fmt, ts, score, verdict, tactics, handles = fact
        key = sender_id or sender or "(unknown)"
        stats = self.senders.get(key)
        if stats is None:
            stats = self.senders[key] = SenderStats(key)
        stats.add(sender, chat, score, verdict, tactics, _when(ts), handles)
        c = self.chats.get(chat)
        if c is None:
            c = self.chats[chat] = _ChatStats()
        c.messages += 1
        c.senders.add(key)
        c.formats.add(fmt)
        if verdict != "pass":
            c.flagged += 1
            c.flagged_senders.add(key)
        self.verdicts[verdict] += 1

    def merge(self, other: Summary) -> None:
        """Add another summary's counts (a worker's batch) into this one."""
        for key, stats in other.senders.items():
            mine = self.senders.get(key)
            if mine is None:
                self.senders[key] = stats
            else:
                mine.merge(stats)
        for name, c in other.chats.items():
            mine_c = self.chats.setdefault(name, _ChatStats())
            mine_c.messages += c.messages
            mine_c.flagged += c.flagged
            mine_c.senders |= c.senders
            mine_c.flagged_senders |= c.flagged_senders
            mine_c.formats |= c.formats
        self.verdicts.update(other.verdicts)

    def ranked(self) -> list[SenderStats]:
        return sorted(self.senders.values(), key=lambda s: s.rank_key(), reverse=True)

    def to_dict(self, counts: dict[str, Any], mask: bool = False) -> dict[str, Any]:
        return {
            "counts": counts,
            "verdicts": {v: self.verdicts.get(v, 0) for v in ("pass", "review", "block")},
            "senders": [s.to_dict(mask) for s in self.ranked()],
            "chats": [
                {
                    "chat": name,
                    "formats": sorted(c.formats),
                    "messages": c.messages,
                    "flagged": c.flagged,
                    "senders": len(c.senders),
                    "flagged_senders": len(c.flagged_senders),
                }
                for name, c in sorted(self.chats.items(), key=lambda kv: -kv[1].flagged)
            ],
        }

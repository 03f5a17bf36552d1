"""DiscordChatExporter (Tyrrrz) exports: the JSON and the CSV layouts.

The JSON is streamed message by message with ijson, so exports of hundreds of megabytes are read
in constant memory; the CSV is read row by row. Scam links in Discord often sit in link-preview
embeds and attachments rather than in the typed text, so those URLs are carried as ``urls``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import ijson

from ..errors import BadRecord, InputError
from .base import (
    URL_PATTERN,
    ChatMessage,
    Item,
    ReadOptions,
    Skipped,
    clean_text,
    csv_records,
    decode_head,
    iso_from_local,
    open_text,
)
from .generic import parse_time

__all__ = ["DiscordJsonReader", "DiscordCsvReader", "READERS"]

# Message kinds whose content a person (or a bot answering a command) wrote. Everything else
# (RecipientAdd, Call, ChannelPinnedMessage, GuildMemberJoin, ThreadCreated, boosts …) is a
# notice Discord generates; newer exporters put fallback text such as "Pinned a message." in
# its content, which must not be scored. Unknown kinds are written as their number.
_AUTHORED_KINDS = frozenset(
    {"Default", "Reply", "ChatInputCommand", "ContextMenuCommand", "0", "19", "20", "23"}
)

_GUILD_KEY = re.compile(r'"guild"\s*:\s*\{')
_CHANNEL_KEY = re.compile(r'"channel"\s*:\s*\{')
_MESSAGES_KEY = re.compile(r'"messages"\s*:\s*\[')
# A backslash escape JSON allows, or one it does not (``\xHH`` as some exporters write bytes).
_ESCAPE = re.compile(r'\\(?:(["\\/bfnrtu])|x([0-9A-Fa-f]{2}))?')


def _location(path: Path, line: int) -> str:
    return f"{path.name}:{line}"


def _tidy(text: str) -> str:
    """Invisible marks out, CRLF and CR (kept inside JSON strings) made LF, outer space trimmed."""
    return clean_text(text).replace("\r\n", "\n").replace("\r", "\n").strip()


def _hidden_urls(candidates: list[str], text: str) -> list[str]:
    """URLs in order, once each, leaving out those the text already shows."""
    seen: set[str] = set()
    out: list[str] = []
    for url in candidates:
        url = url.strip()
        if url and url not in seen and url not in text:
            seen.add(url)
            out.append(url)
    return out


# --- JSON ---------------------------------------------------------------------------------------


class _LineFeed:
    """Hands ijson the decoded file one line at a time, so the line a message ends on is known
    exactly when ijson yields it (the exporter indents its JSON, one value per line); ``open_text``
    has already dealt with the BOM, GB18030 and CRLF."""

    def __init__(self, fh: IO[str]) -> None:
        self.fh = fh
        self.lines = 0  # complete lines read
        self.last_line = 1  # the line the last chunk came from
        self.messages_line: int | None = None  # where the "messages" array opens

    def read(self, size: int = -1) -> bytes:
        if size == 0:
            return b""
        chunk = self.fh.readline(size if size > 0 else -1)
        # A read cut inside a long (minified) line must not split an escape sequence.
        while chunk and not chunk.endswith("\n") and "\\" in chunk[-5:]:
            more = self.fh.read(5)
            if not more:
                break
            chunk += more
        if "\\" in chunk:
            chunk = _ESCAPE.sub(_repair_escape, chunk)
        if chunk:
            first = self.lines + 1
            self.lines += chunk.count("\n")
            self.last_line = self.lines if chunk.endswith("\n") else self.lines + 1
            if self.messages_line is None:
                found = _MESSAGES_KEY.search(chunk)
                if found:
                    self.messages_line = first + chunk.count("\n", 0, found.start())
        return chunk.encode("utf-8")


def _repair_escape(m: re.Match[str]) -> str:
    r"""Valid escapes stay; ``\xHH`` becomes ``\u00HH`` (what the writer meant); any other
    backslash becomes a literal one, so one odd message does not end the reading of the file."""
    if m.group(1) is not None:
        return m.group(0)
    if m.group(2) is not None:
        return "\\u00" + m.group(2)
    return "\\\\"


class DiscordJsonReader:
    """DiscordChatExporter JSON: ``guild``, ``channel``, ``dateRange``, ``messages``."""

    name = "discord-json"
    description = "DiscordChatExporter JSON export of one channel, DM or group DM"
    detection = 'a JSON object with "guild": { and "channel": { before "messages": ['

    def sniff(self, head: str, path: Path) -> bool:
        """Both ``guild`` and ``channel`` objects at the top, ahead of the messages array."""
        if not head.lstrip().startswith("{"):
            return False
        guild = _GUILD_KEY.search(head)
        channel = _CHANNEL_KEY.search(head)
        if guild is None or channel is None:
            return False
        messages = _MESSAGES_KEY.search(head)
        return messages is None or max(guild.start(), channel.start()) < messages.start()

    def read(self, path: Path, options: ReadOptions) -> Iterator[Item]:
        """Every entry of ``messages`` in order; the chat is named ``<guild> / <channel>``."""
        head, _ = decode_head(path)
        if not self.sniff(head, path):  # e.g. a Telegram result.json given as discord-json
            raise InputError(
                f'{path}: not a DiscordChatExporter JSON export (expected "guild" and "channel" '
                f'objects before "messages")'
            )
        chat = self._chat_name(head) or options.chat or path.stem
        with open_text(path) as fh:
            feed = _LineFeed(fh)
            previous_end = 0
            try:
                for entry in ijson.items(feed, "messages.item", use_float=True):
                    end = feed.last_line
                    if previous_end == 0:
                        start = (feed.messages_line or 0) + 1
                    else:
                        start = previous_end + 1
                    if start > end:  # several messages on one line (minified JSON)
                        start = end
                    previous_end = end
                    yield self._item(path, chat, start, entry)
            except ijson.JSONError as exc:
                if "premature EOF" not in str(exc):
                    raise InputError(
                        f"{path}:{feed.last_line}: not valid JSON on this line "
                        f"(expected a DiscordChatExporter export): {_first_line(exc)}"
                    ) from exc
                raise InputError(
                    f"{path}:{feed.last_line}: the JSON ends before it is complete (expected the "
                    f"rest of the messages array and the closing braces; a truncated export?): "
                    f"{_first_line(exc)}"
                ) from exc
            if feed.messages_line is None:
                raise InputError(
                    f'{path}: no "messages" array; expected a DiscordChatExporter JSON export'
                )

    @staticmethod
    def _chat_name(head: str) -> str | None:
        """``<guild> / <channel>`` from the head of the file (both come before the messages)."""
        names: list[str] = []
        for key in ("guild", "channel"):
            try:
                value = next(ijson.items(io.BytesIO(head.encode("utf-8")), key), None)
            except ijson.JSONError:
                value = None
            if isinstance(value, dict) and isinstance(value.get("name"), str):
                names.append(clean_text(value["name"]).strip())
        names = [n for n in names if n]
        return " / ".join(names) if names else None

    def _item(self, path: Path, chat: str, line: int, entry: Any) -> Item:
        location = _location(path, line)
        if not isinstance(entry, dict):
            return BadRecord(
                path.name, line, f"expected a message object, got {type(entry).__name__}"
            )
        kind = str(entry.get("type") or "Default")
        if kind not in _AUTHORED_KINDS:
            return Skipped("system", location)
        author = entry.get("author")
        if not isinstance(author, dict) or author.get("id") in (None, ""):
            return BadRecord(path.name, line, "message has no author id")
        content = entry.get("content")
        text = _tidy(content) if isinstance(content, str) else ""
        embeds = [e for e in entry.get("embeds") or [] if isinstance(e, dict)]
        attachments = [a for a in entry.get("attachments") or [] if isinstance(a, dict)]
        if not text:
            # A bot's message is often an embed alone: its words are the message.
            text = _embed_text(embeds)
        if not text:
            if attachments or entry.get("stickers") or embeds:
                return Skipped("media", location)
            return Skipped("empty", location)
        candidates: list[str] = []
        for embed in embeds:
            if isinstance(embed.get("url"), str):
                candidates.append(embed["url"])
            candidates.extend(URL_PATTERN.findall(_embed_text([embed])))
        candidates.extend(a["url"] for a in attachments if isinstance(a.get("url"), str))
        sender = author.get("nickname") or author.get("name") or str(author["id"])
        message_id = entry.get("id")
        return ChatMessage(
            source_format=self.name,
            chat=chat,
            message_id=str(message_id) if message_id not in (None, "") else str(line),
            sender_id=str(author["id"]),
            sender=clean_text(str(sender)).strip(),
            timestamp=_json_time(entry.get("timestamp")),
            text=text,
            urls=_hidden_urls(candidates, text),
            location=location,
        )


def _embed_text(embeds: list[dict[str, Any]]) -> str:
    """Title, description and field texts of embeds, one per line."""
    parts: list[str] = []
    for embed in embeds:
        for key in ("title", "description"):
            if isinstance(embed.get(key), str):
                parts.append(embed[key])
        for fld in embed.get("fields") or []:
            if isinstance(fld, dict):
                parts.extend(fld[k] for k in ("name", "value") if isinstance(fld.get(k), str))
    return _tidy("\n".join(p.strip() for p in parts if p.strip()))


def _json_time(value: Any) -> str | None:
    """The exporter's ISO timestamp as written (it carries its offset); None if it is not one."""
    if not isinstance(value, str) or not value.strip():
        return None
    value = value.strip()
    try:
        parsed = datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith("Z") else value)
    except ValueError:
        return None
    if parsed.tzinfo is None:  # not what the exporter writes; UTC is what Discord stores
        return iso_from_local(parsed, UTC)
    return value


def _first_line(exc: Exception) -> str:
    return str(exc).strip().split("\n", 1)[0]


# --- CSV ----------------------------------------------------------------------------------------

_CSV_HEADER = ["AuthorID", "Author", "Date", "Content", "Attachments", "Reactions"]

# The CSV has no message type: system notices are recognised by the fallback text the exporter
# writes for them.
_SYSTEM_TEXT = re.compile(
    r"(?:Started a call(?: that lasted [\d,.\s]+ minutes?)?\."
    r"|Added .{1,100} to the group\.|Added a recipient\."
    r"|Removed .{1,100} from the group\.|Removed a recipient\.|Left the group\."
    r"|Changed the channel name(?:: .{0,200})?\.?|Changed the channel icon\."
    r"|Pinned a message\.|Joined the server\.|Started a thread\.)"
)


class DiscordCsvReader:
    """DiscordChatExporter CSV: ``AuthorID,Author,Date,Content,Attachments,Reactions``."""

    name = "discord-csv"
    description = "DiscordChatExporter CSV export (dates in the exporter's locale format)"
    detection = "first line is exactly AuthorID,Author,Date,Content,Attachments,Reactions"

    def sniff(self, head: str, path: Path) -> bool:
        """The exact header, quoted (as the exporter writes it) or not (after an Excel save)."""
        first = head.lstrip("\ufeff").split("\n", 1)[0].strip()
        if not first.startswith(('"AuthorID"', "AuthorID")):
            return False
        try:
            fields = next(csv.reader([first]))
        except (csv.Error, StopIteration):
            return False
        return fields == _CSV_HEADER

    def read(self, path: Path, options: ReadOptions) -> Iterator[Item]:
        """Every row in order; dates are wall-clock times in ``options.tz()``."""
        tz = options.tz()
        chat = options.chat or path.stem
        with open_text(path) as fh:
            records = csv_records(fh)
            first = next(records, None)
            if first is not None and first[1] is None:
                raise InputError(f"{path}:{first[0]}: cannot read the CSV header ({first[2]})")
            header = [h.strip() for h in first[1]] if first and first[1] else []
            if header != _CSV_HEADER:
                raise InputError(
                    f"{path}:1: expected the header {','.join(_CSV_HEADER)}, "
                    f"found {','.join(header) or 'nothing'}"
                )
            for start, row, error in records:
                if row is None:
                    yield BadRecord(path.name, start, error)
                    continue
                if len(row) != len(_CSV_HEADER):
                    yield BadRecord(
                        path.name,
                        start,
                        f"has {len(row)} fields, expected {len(_CSV_HEADER)} "
                        f"({','.join(_CSV_HEADER)})",
                    )
                    continue
                yield self._item(path, chat, start, row, tz)

    def _item(self, path: Path, chat: str, line: int, row: list[str], tz: Any) -> Item:
        location = _location(path, line)
        author_id, author, date, content, attachments, _reactions = (clean_text(c) for c in row)
        text = content.strip()
        links = [a.strip() for a in attachments.split(",") if a.strip()]
        if not text:
            return Skipped("media" if links else "empty", location)
        if _SYSTEM_TEXT.fullmatch(text):
            return Skipped("system", location)
        author = author.strip()
        sender_id = author_id.strip() or author
        if not sender_id:
            return BadRecord(path.name, line, "row has neither AuthorID nor Author")
        return ChatMessage(
            source_format=self.name,
            chat=chat,
            message_id=str(line),
            sender_id=sender_id,
            sender=author or sender_id,
            timestamp=parse_time(date, tz),
            text=text,
            urls=_hidden_urls(links, text),
            location=location,
        )


READERS = [DiscordJsonReader(), DiscordCsvReader()]

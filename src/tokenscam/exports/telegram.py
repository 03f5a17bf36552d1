"""Telegram Desktop exports: machine-readable JSON (``result.json``) and the default HTML pages.

``telegram-json`` streams both JSON shapes Telegram Desktop writes: a single chat
(``{name, type, id, messages}``) and the full-account export (``{about, …, chats: {about, list},
left_chats: {…}}``), chat by chat and message by message, in constant memory. The bytes pass
through :class:`EscapeFixingReader` first, because the exporter writes control characters as
``\\xHH``, which no JSON parser accepts.

Design choices worth knowing:

* The file is fed to ijson's push parser one line at a time, so every message knows the line its
  object starts on (``location`` = ``"result.json:<line>"``) and a syntax error knows its line.
  Telegram Desktop pretty-prints, so lines are short; a minified file still works (every
  message then sits on line 1).
* A file that breaks off (truncated download) or turns into invalid JSON part-way does not
  lose what came before: every complete message is yielded, then one :class:`BadRecord` says
  where the JSON ended and what was expected, and reading stops. Only when nothing at all
  could be read is :class:`InputError` raised. (Raising after yielding would make the scoring
  driver drop the batch it had not flushed yet.)
* ``telegram-html`` parses the HTML pages (``messages.html``, ``messages2.html`` …) too, with
  fewer guarantees: no sender ids exist there, so the display name is the id, and a block that
  continues the previous page's sender cannot be attributed. Date separators (service blocks
  with a negative id) are page layout, not entries, and produce no item.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import IO, Any

import ijson

from ..errors import BadRecord, InputError
from .base import (
    SNIFF_BYTES,
    ChatMessage,
    Item,
    ReadOptions,
    Skipped,
    clean_text,
    detect_encoding,
    fixed_offset,
    iso_from_epoch,
    iso_from_local,
    open_text,
)

__all__ = ["READERS", "EscapeFixingReader", "TelegramJsonReader", "TelegramHtmlReader"]

_BLOCK = 64 * 1024


# --- the exporter's invalid "\xHH" escapes ----------------------------------------------------

_HEX_ESCAPE = re.compile(rb"(\\+)x([0-9A-Fa-f]{2})")


def _fix_escapes(data: bytes) -> bytes:
    """``\\xHH`` → ``\\u00HH`` where the backslash is not itself escaped (odd run length)."""
    if b"\\x" not in data:
        return data

    def repl(m: re.Match[bytes]) -> bytes:
        run = m.group(1)
        if len(run) % 2 == 0:  # "\\\\x41": an escaped backslash followed by a plain "x41"
            return m.group(0)
        return run[:-1] + b"\\u00" + m.group(2)

    return _HEX_ESCAPE.sub(repl, data)


class EscapeFixingReader:
    """A read-only byte stream that hands the parser valid UTF-8 JSON.

    It decodes the raw bytes (``encoding``: UTF-8, UTF-8 with BOM, UTF-16 or GB18030; undecodable
    bytes become U+FFFD instead of stopping the parse), re-encodes them as UTF-8 and rewrites the
    exporter's ``\\xHH`` escapes as ``\\u00HH``. An escape can straddle two reads, so a trailing
    run of backslashes that might start one is held back until the next read; the whole run is
    kept together because whether ``\\x`` is an escape depends on how many backslashes precede it.
    """

    def __init__(self, raw: IO[bytes], encoding: str = "utf-8", block_size: int = _BLOCK) -> None:
        self._raw = raw
        self._block = block_size
        self._decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
        self._pending = b""
        self._eof = False
        self.bytes_read = 0  # raw bytes consumed, for error messages

    def read(self, size: int = -1) -> bytes:
        """The next block of fixed bytes (``size`` is a hint only); ``b""`` at the end."""
        while not self._eof:
            chunk = self._raw.read(self._block)
            self.bytes_read += len(chunk)
            if not chunk:
                self._eof = True
                tail = self._decoder.decode(b"", final=True).encode("utf-8")
                data, self._pending = self._pending + tail, b""
                return _fix_escapes(data)
            data = self._pending + self._decoder.decode(chunk).encode("utf-8")
            last = data.rfind(b"\\")
            if last >= 0 and last >= len(data) - 3:  # "\", "\x" or "\xH" may continue
                start = last
                while start > 0 and data[start - 1] == 0x5C:
                    start -= 1
                data, self._pending = data[:start], data[start:]
            else:
                self._pending = b""
            if data:
                return _fix_escapes(data)
        return b""


# --- shared helpers -----------------------------------------------------------------------------

_URL_BUTTONS = {"url", "auth", "web_view", "simple_web_view"}
_URL_SCHEMES = ("http://", "https://", "tg://", "www.")
# Fields that mean "this message carries media"; without text such a message is not scored.
_MEDIA_KEYS = (
    "photo",
    "file",
    "file_name",
    "media_type",
    "sticker_emoji",
    "mime_type",
    "thumbnail",
    "contact_information",
    "contact_vcard",
    "location_information",
    "place_name",
    "live_location_period_seconds",
    "game_title",
    "invoice_information",
    "giveaway_information",
    "giveaway_results",
    "paid_stars_amount",
    "todo_list",
)


class _Malformed(Exception):
    """A message object whose fields cannot be read; becomes a BadRecord."""


def _dedupe(urls: list[str]) -> list[str]:
    return list(dict.fromkeys(u for u in urls if u))


def _normalise(text: str) -> str:
    return clean_text(text).replace("\r\n", "\n").replace("\r", "\n")


def _flatten(value: Any, field_name: str) -> tuple[str, list[str]]:
    """Text and links of a ``text`` / ``text_entities`` value: a string, or a list of strings and
    ``{type, text, href?}`` entities. ``text_link`` hides its target in ``href``; ``link`` shows
    it as the text itself."""
    if value is None:
        return "", []
    if isinstance(value, str):
        return value, []
    if not isinstance(value, list):
        raise _Malformed(
            f"{field_name!r} has type {type(value).__name__}, expected a string or a list"
        )
    parts: list[str] = []
    urls: list[str] = []
    for part in value:
        if isinstance(part, str):
            parts.append(part)
        elif isinstance(part, dict):
            text = part.get("text", "")
            if not isinstance(text, str):
                raise _Malformed(f"an entity in {field_name!r} has a non-string 'text'")
            parts.append(text)
            kind = part.get("type")
            if kind == "text_link" and isinstance(part.get("href"), str):
                urls.append(part["href"])
            elif kind == "link" and text:
                urls.append(text)
        else:
            raise _Malformed(f"{field_name!r} holds a {type(part).__name__}, expected text parts")
    return "".join(parts), urls


def _entity_urls(entities: Any) -> list[str]:
    """Links of ``text_entities`` when ``text`` is a plain string; a malformed entity list does
    not cost the message its text."""
    try:
        return _flatten(entities, "text_entities")[1]
    except _Malformed:
        return []


def _button_urls(rows: Any) -> list[str]:
    """URL data of ``inline_bot_buttons`` (rows of buttons): scam bots put their links there.
    Malformed button data is ignored rather than costing the message."""
    urls: list[str] = []
    if not isinstance(rows, list):
        return urls
    for row in rows:
        for button in row if isinstance(row, list) else [row]:
            if not isinstance(button, dict):
                continue
            data = button.get("data")
            if isinstance(data, str) and (
                button.get("type") in _URL_BUTTONS or data.startswith(_URL_SCHEMES)
            ):
                urls.append(data)
    return urls


def _poll_text(poll: Any) -> str:
    """A poll's question and answers, one per line: written by the sender, so worth scoring."""
    if not isinstance(poll, dict):
        return ""
    lines = []
    question, _ = _flatten(poll.get("question"), "poll.question")
    if question:
        lines.append(question)
    answers = poll.get("answers")
    for answer in answers if isinstance(answers, list) else []:
        if isinstance(answer, dict):
            text, _ = _flatten(answer.get("text"), "poll.answers.text")
            if text:
                lines.append(text)
    return "\n".join(lines)


def _timestamp(msg: dict[str, Any], tz: Any) -> str | None:
    """``date_unixtime`` (a string of epoch seconds) when present, else ``date`` (exporter-local
    wall time, no offset) placed in ``tz``; None when the message has neither."""
    unix = msg.get("date_unixtime")
    if unix not in (None, ""):
        try:
            return iso_from_epoch(int(unix), tz)
        except (TypeError, ValueError, OverflowError, OSError):
            pass
    date = msg.get("date")
    if isinstance(date, str) and date:
        try:
            return iso_from_local(datetime.fromisoformat(date), tz)
        except ValueError:
            raise _Malformed(f"unreadable date {date!r}") from None
    if unix not in (None, ""):
        raise _Malformed(f"unreadable date_unixtime {unix!r}")
    return None


# --- JSON ---------------------------------------------------------------------------------------

_DIALOG_TYPES = (
    "personal_chat|bot_chat|private_group|private_supergroup|public_supergroup|"
    "private_channel|public_channel|saved_messages|replies|verification_codes"
)
_STR = r'"(?:[^"\\]|\\.)*"'
_FIRST_KEY = re.compile(r'\A\s*\{\s*"(\w+)"\s*:')
_ABOUT_TELEGRAM = re.compile(r'\A\s*\{\s*"about"\s*:\s*"(?:[^"\\]|\\.)*Telegram')
_FULL_EXPORT_KEYS = re.compile(
    r'"(?:personal_information|profile_pictures|contacts|frequent_contacts|sessions|'
    r'web_sessions|other_data|chats|left_chats|stories)"\s*:'
)
_CHATS_LIST = re.compile(
    r'\A\s*\{\s*"chats"\s*:\s*\{\s*(?:"about"\s*:\s*' + _STR + r'\s*,\s*)?"list"\s*:\s*\['
)
_MESSAGES_LIST = re.compile(r'"messages"\s*:\s*\[')
_DIALOG_TYPE = re.compile(r'"type"\s*:\s*"(?:' + _DIALOG_TYPES + r')"')
_MESSAGE_MARK = re.compile(
    r'"date_unixtime"\s*:\s*"\d+"'
    r'|"(?:from_id|actor_id)"\s*:\s*"(?:user|channel|chat)\d+"'
    r'|"type"\s*:\s*"(?:message|service)"\s*,\s*"date"\s*:\s*"\d{4}-\d\d-\d\dT'
)

# Where message lists live, and where the chat they belong to keeps its name, id and type.
_MESSAGE_ARRAYS = ("messages", "chats.list.item.messages", "left_chats.list.item.messages")
_CHAT_OBJECTS = ("chats.list.item", "left_chats.list.item")
_CHAT_FIELDS = {
    (f"{base}.{key}" if base else key): key
    for base in ("", *_CHAT_OBJECTS)
    for key in ("name", "id", "type")
}
_CONTAINER_END = ("map_key", "end_map", "end_array")
_BACKEND = ijson.get_backend(ijson.backend)


class _NotAnObject(Exception):
    """The JSON document is not an object: not a Telegram export."""


class _Router:
    """Receives ijson's parse events. Events inside a message list go to ijson's C item builder
    (so message objects are built in C); the rest only update which chat we are in. Completed
    messages wait in ``done`` with the line their object started on and their chat's name."""

    def __init__(self, fallback_chat: str) -> None:
        self.line = 1
        self.done: list[tuple[int, str, Any]] = []
        self.fallback_chat = fallback_chat
        self.started = False
        self.lists_seen = 0
        self.in_list = False
        self.list_prefix = ""
        self.item_prefix = ""
        self.open_line = 0  # where the message being built started; 0 between messages
        self.chat = fallback_chat
        self._fields: dict[str, Any] = {}
        self._built = ijson.sendable_list()
        self._builder: Any = None

    def send(self, event: tuple[str, str, Any]) -> None:
        prefix, kind, value = event
        if self.in_list:
            if prefix == self.item_prefix and kind not in _CONTAINER_END:
                self.open_line = self.line
            self._builder.send(event)
            if self._built:
                self.done.append((self.open_line, self.chat, self._built.pop()))
                self.open_line = 0
            elif kind == "end_array" and prefix == self.list_prefix:
                self.in_list = False
            return
        if not self.started:
            if kind != "start_map":
                raise _NotAnObject(kind)
            self.started = True
        if kind == "start_array":
            if prefix in _MESSAGE_ARRAYS:
                self.in_list = True
                self.list_prefix = prefix
                self.item_prefix = prefix + ".item"
                self.lists_seen += 1
                self.chat = self._chat_label()
                self._builder = _BACKEND.items_basecoro(self._built, self.item_prefix)
        elif kind == "start_map":
            if prefix in _CHAT_OBJECTS:
                self._fields = {}
        elif prefix in _CHAT_FIELDS and kind in ("string", "number"):
            self._fields[_CHAT_FIELDS[prefix]] = value

    def _chat_label(self) -> str:
        for key in ("name", "id", "type"):
            value = self._fields.get(key)
            if value not in (None, ""):
                return str(value)
        return self.fallback_chat


def _yajl_message(exc: Exception) -> tuple[str, str]:
    """yajl's complaint (first line) and the bit of JSON it points at."""
    raw = exc.args[0] if exc.args else str(exc)
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", "replace")
    lines = str(raw).splitlines() or [""]
    context = lines[1].strip() if len(lines) > 1 else ""
    return lines[0].strip(), context


# A line that closes an object (``}``, ``},``): runs fed to the parser end at these, so that a
# message's end is seen in the run where it happens.
_OBJECT_CLOSE = re.compile(rb"[^\n]*\}[ \t]*,?[ \t]*\r?\n")
_MESSAGES_OPEN = re.compile(rb'"messages"\s*:\s*\[')
_NEXT_VALUE = re.compile(rb"[^\s,]")
_TOP_FIELD = re.compile(r'^\s*\{?\s*"(name|type|id)"\s*:\s*("(?:[^"\\]|\\.)*"|-?\d+)', re.M)


_UNSURE: Any = object()  # the fast path's "let the exact path take over from here" signal


class _SingleState:
    """What :meth:`TelegramJsonReader._broken` needs to know about the fast path's position."""

    in_list = True

    def __init__(self, chat: str) -> None:
        self.chat = chat
        self.open_line = 0


def _single_chat_label(head: bytes, encoding: str) -> str | None:
    """For a one-chat export (top-level ``"messages"``, no ``"chats"``), the chat's label
    (``""`` when it has none); ``None`` for anything else, which takes the general path."""
    text = head.decode(encoding, errors="ignore")
    first = _FIRST_KEY.match(text)
    if first is None or first.group(1) not in ("name", "type", "id"):
        return None
    messages = _MESSAGES_LIST.search(text)
    if messages is None or '"chats"' in text[: messages.start()]:
        return None
    fields: dict[str, str] = {}
    for m in _TOP_FIELD.finditer(text, 0, messages.start()):
        try:
            value = json.loads(m.group(2))
        except ValueError:
            continue
        fields.setdefault(m.group(1), str(value))
    for key in ("name", "id", "type"):
        if fields.get(key):
            return fields[key]
    return ""


class TelegramJsonReader:
    """Telegram Desktop's machine-readable export, single chat or whole account."""

    name = "telegram-json"
    description = "Telegram Desktop JSON export (result.json): one chat or the whole account"
    detection = (
        'a JSON object starting with "name"/"type"/"id" and holding "messages" with Telegram '
        'chat types or message fields (date_unixtime, from_id "user…"), or starting with "about" '
        'mentioning Telegram, or with "chats": {"list": [...]}'
    )

    block_size = _BLOCK  # bytes per read; tests shrink it to put escapes across reads

    def sniff(self, head: str, path: Path) -> bool:
        """Decided from the opening keys: other JSON exports (Discord, QQChatExporter, WeFlow,
        Slack) start with different keys or are arrays."""
        first = _FIRST_KEY.match(head)
        if first is None:
            return False
        key = first.group(1)
        if key == "about":
            return bool(_ABOUT_TELEGRAM.match(head) and _FULL_EXPORT_KEYS.search(head))
        if key == "chats":
            return bool(
                _CHATS_LIST.match(head)
                and _MESSAGES_LIST.search(head)
                and _MESSAGE_MARK.search(head)
            )
        if key in ("name", "type", "id"):
            return bool(
                _MESSAGES_LIST.search(head)
                and (_DIALOG_TYPE.search(head) or _MESSAGE_MARK.search(head))
            )
        return False

    def read(self, path: Path, options: ReadOptions) -> Iterator[Item]:
        """Every entry of every message list, in file order; see the module docstring for how
        truncated and broken files end."""
        tz = options.tz()
        try:
            raw = path.open("rb")
        except OSError as exc:
            raise InputError(f"{path}: cannot open ({exc.strerror})") from exc
        with raw:
            head = raw.read(SNIFF_BYTES)
            encoding = detect_encoding(head)
            raw.seek(0)
            chat = _single_chat_label(head, encoding)
            if chat is not None:
                fast = self._read_single(raw, encoding, chat or options.chat or path.stem, path, tz)
                done = 0
                for item in fast:
                    if item is _UNSURE:
                        # Something the fast path cannot place exactly (a broken file, an entry
                        # that is not an object): the exact path re-reads the file and takes over
                        # after the entries already given. Only malformed files pay for this.
                        rest = self._read_general(path, options, tz)
                        for _ in range(done):
                            next(rest)
                        yield from rest
                        return
                    done += 1
                    yield item
                return
        yield from self._read_general(path, options, tz)

    def _read_general(self, path: Path, options: ReadOptions, tz: Any) -> Iterator[Item]:
        """Any layout, one line at a time through :class:`_Router` (exact lines, ~4× slower)."""
        with path.open("rb") as raw:
            encoding = detect_encoding(raw.read(SNIFF_BYTES))
            raw.seek(0)
            stream = EscapeFixingReader(raw, encoding, self.block_size)
            router = _Router(options.chat or path.stem)
            parser = ijson.parse_coro(router)
            entries = 0
            line = last = 1  # the line being sent; the last line that had any bytes
            try:
                while block := stream.read():
                    start = 0
                    while True:
                        end = block.find(b"\n", start)
                        router.line = line
                        if end < 0:
                            if start < len(block):
                                parser.send(block[start:])
                                last = line
                            break
                        parser.send(block[start : end + 1])
                        last = line
                        line += 1
                        start = end + 1
                        if router.done:
                            entries += len(router.done)
                            yield from self._drain(router, path, tz)
                    if router.done:
                        entries += len(router.done)
                        yield from self._drain(router, path, tz)
                line = last  # errors from here on are about the end of the file
                parser.close()
            except _NotAnObject:
                raise InputError(
                    f"{path}: line {line}: expected a JSON object (a Telegram result.json), "
                    "found another kind of JSON value"
                ) from None
            except ijson.JSONError as exc:
                entries += len(router.done)
                yield from self._drain(router, path, tz)
                yield self._broken(exc, path, router, stream, line, entries)
                return
            entries += len(router.done)
            yield from self._drain(router, path, tz)
            if router.lists_seen == 0:
                raise InputError(
                    f"{path}: no message list found: expected a Telegram export with "
                    '"messages": [...] (one chat) or "chats": {"list": [...]} (whole account)'
                )

    def _read_single(
        self, raw: IO[bytes], encoding: str, chat: str, path: Path, tz: Any
    ) -> Iterator[Item]:
        """The common one-chat export, fast: parse and build message objects entirely in C
        (ijson's ``items`` pipeline), feeding it runs of lines that end where an object closes.

        Feeding one line at a time through a Python router costs ~15 µs a message; this costs
        ~4, and still knows the line each message starts on: a message starts on the line after
        the run in which the previous one ended (exports put one message after another), or on
        line 1 of a one-line file.
        """
        stream = EscapeFixingReader(raw, encoding, self.block_size)
        done = ijson.sendable_list()
        parser = _BACKEND.items_coro(done, "messages.item")
        state = _SingleState(chat)
        line = 1  # the first line of the run being fed
        in_list = False
        carry = b""

        def runs(block: bytes, stop: int) -> Iterator[tuple[int, int]]:
            pos = 0
            for m in _OBJECT_CLOSE.finditer(block, 0, stop):
                yield pos, m.end()
                pos = m.end()
            if pos < stop:
                yield pos, stop

        try:
            while True:
                block = stream.read()
                final = not block
                block = carry + block
                cut = len(block) if final else block.rfind(b"\n") + 1
                carry = block[cut:]
                for pos, end in runs(block, cut):
                    # Where the next message starts: the first "{" after the list opens or after
                    # the previous message ended (only whitespace and commas lie between).
                    if not in_list:
                        opened = _MESSAGES_OPEN.search(block, pos, end)
                        if opened:
                            in_list = True
                            pos_open = opened.end()
                    else:
                        pos_open = pos
                    if in_list and not state.open_line:
                        first = _NEXT_VALUE.search(block, pos_open, end)
                        if first is not None:
                            state.open_line = line + block.count(b"\n", pos, first.start())
                    parser.send(block[pos:end])
                    if done:
                        for item in self._settle(done, state, line, chat, path, tz):
                            yield item
                            if item is _UNSURE:
                                return
                        state.open_line = 0
                    line += block.count(b"\n", pos, end)
                if final:
                    break
            parser.close()
        except ijson.JSONError:  # the placeholder for the general path's exact BadRecord
            yield from self._settle(done, state, line, chat, path, tz)
            yield _UNSURE
            return
        yield from self._settle(done, state, line, chat, path, tz)

    def _settle(
        self, done: list[Any], state: _SingleState, line: int, chat: str, path: Path, tz: Any
    ) -> Iterator[Any]:
        """Items for the completed messages, or ``_UNSURE`` when one cannot be placed: several
        completed in one run, or one is not an object (its line would be a guess)."""
        msgs = list(done)
        del done[:]
        if len(msgs) > 1 or any(not isinstance(m, dict) for m in msgs):
            if len(msgs) > 1 and state.open_line == 1 and all(isinstance(m, dict) for m in msgs):
                # A one-line (minified) file: every message is on line 1.
                for m in msgs:
                    yield self._item(m, 1, chat, path, tz)
                return
            yield _UNSURE
            return
        for m in msgs:
            yield self._item(m, state.open_line or line, chat, path, tz)

    def _broken(
        self,
        exc: Exception,
        path: Path,
        router: _Router,
        stream: EscapeFixingReader,
        line: int,
        entries: int,
    ) -> BadRecord:
        """What to say when the JSON stops being valid; raises InputError when nothing was read."""
        problem, context = _yajl_message(exc)
        truncated = "premature EOF" in problem
        if truncated:
            where = f"the JSON ends unexpectedly at byte {stream.bytes_read} (line {line})"
        else:
            where = f"invalid JSON at line {line} ({problem}" + (
                f", near {context!r})" if context else ")"
            )
        if router.in_list and router.open_line:
            expected = (
                f"the rest of the message starting at line {router.open_line} of chat "
                f"{router.chat!r}, then the closing brackets"
            )
        elif router.in_list:
            expected = f"the next message of chat {router.chat!r} or the closing ']'"
        else:
            expected = "the rest of the export object"
        if truncated:
            detail = f"{where}: expected {expected}; the file looks cut off"
        else:
            detail = f"{where}: expected {expected}"
        if entries == 0:
            raise InputError(f"{path}: {detail}; nothing could be read")
        rest = "" if truncated else ", the rest of the file cannot be read"
        return BadRecord(
            str(path), line, f"{detail}; the {entries} entries before it were read{rest}"
        )

    def _drain(self, router: _Router, path: Path, tz: Any) -> Iterator[Item]:
        done, router.done = router.done, []
        for line, chat, msg in done:
            yield self._item(msg, line, chat, path, tz)

    def _item(self, msg: Any, line: int, chat: str, path: Path, tz: Any) -> Item:
        location = f"{path.name}:{line}"
        if not isinstance(msg, dict):
            return BadRecord(
                str(path),
                line,
                f"expected a message object, found {type(msg).__name__} {msg!r:.40}",
            )
        kind = msg.get("type", "message")
        if kind in ("service", "unsupported"):
            return Skipped("system", location)
        try:
            if "text" in msg:
                text, urls = _flatten(msg["text"], "text")
                if not isinstance(msg["text"], list):
                    urls += _entity_urls(msg.get("text_entities"))
            else:
                text, urls = _flatten(msg.get("text_entities"), "text_entities")
            if not text.strip() and "poll" in msg:
                text = _poll_text(msg["poll"])
            text = _normalise(text).strip()
            if not text:
                if kind != "message":
                    return Skipped("system", location)
                media = any(key in msg for key in _MEDIA_KEYS) or "poll" in msg
                return Skipped("media" if media else "empty", location)
            timestamp = _timestamp(msg, tz)
        except _Malformed as exc:
            return BadRecord(str(path), line, f"message {msg.get('id', '?')}: {exc}")
        name, from_id = msg.get("from"), msg.get("from_id")
        if isinstance(name, str) and name.strip():
            sender = name
        elif "from" in msg:  # null: the account was deleted
            sender = "Deleted Account"
        elif from_id not in (None, ""):
            sender = str(from_id)
        else:  # old channel exports: no sender at all; the post's signature or the channel
            author = msg.get("author")
            sender = author if isinstance(author, str) and author else chat
        sender_id = str(from_id) if from_id not in (None, "") else sender
        message_id = msg.get("id")
        return ChatMessage(
            source_format=self.name,
            chat=chat,
            message_id=str(message_id) if message_id is not None else str(line),
            sender_id=sender_id,
            sender=_normalise(sender).strip(),
            timestamp=timestamp,
            text=text,
            urls=_dedupe(urls + _button_urls(msg.get("inline_bot_buttons"))),
            location=location,
        )


# --- HTML ---------------------------------------------------------------------------------------

_HTML_PAGE = re.compile(
    r'<div class="page_wrap">|<title>Exported Data</title>|class="page_body chat_page"'
)
_HTML_MESSAGE = re.compile(r'<div class="message (?:default clearfix|service)[" ]')
_HTML_DATE = re.compile(
    r"\s*(\d{1,2})\.(\d{1,2})\.(\d{4}) (\d{1,2}):(\d{2}):(\d{2})(?: UTC([+-])(\d{1,2}):?(\d{2}))?\s*\Z"
)


@dataclass
class _HtmlEntry:
    """One ``<div class="message …">`` block while it is being read."""

    line: int
    message_id: str
    service: bool
    joined: bool
    date: str | None = None
    sender: list[str] | None = None
    text: list[str] | None = None
    poll: list[list[str]] = field(default_factory=list)
    media: bool = False
    urls: list[str] = field(default_factory=list)
    forwarded: int = 0  # depth inside a "forwarded body": its from_name is not the sender


class _HtmlPage(HTMLParser):
    """Collects message blocks of a Telegram HTML page as they close (fed in chunks)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.done: list[_HtmlEntry] = []
        self.title: list[str] | None = None
        self.entry: _HtmlEntry | None = None
        self.skeleton = False  # a message block or the "history" container was seen
        self._divs: list[str] = []  # the role of every open <div>
        self._capture: list[str] | None = None
        self._capture_role = ""
        self._spans = 0  # <span> depth inside a from_name (the "via @bot" details)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {k: v or "" for k, v in attrs}
        if tag == "div":
            self._divs.append(
                self._open_div(attr["class"].split() if "class" in attr else [], attr)
            )
        elif tag == "br":
            if self._capture is not None and self._capture_role != "from":
                self._capture.append("\n")
        elif tag == "a":
            href = attr.get("href", "")
            if self.entry is not None and href.startswith(_URL_SCHEMES):
                self.entry.urls.append(href)
        elif tag == "span" and self._capture_role == "from":
            self._spans += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "div":  # "<div/>" opens and closes nothing we care about
            return
        self.handle_starttag(tag, attrs)

    def _open_div(self, cls: list[str], attr: dict[str, str]) -> str:
        entry = self.entry
        if entry is None:
            if "message" in cls and ("default" in cls or "service" in cls):
                ident = attr.get("id", "")
                self.skeleton = True
                self.entry = _HtmlEntry(
                    line=self.getpos()[0],
                    message_id=ident.removeprefix("message"),
                    service="service" in cls,
                    joined="joined" in cls,
                )
                return "message"
            if "page_header" in cls:
                return "header"
            if "history" in cls:
                self.skeleton = True
            if "text" in cls and "header" in self._divs and self.title is None:
                self.title = []
                return self._start_capture("title", self.title)
            return ""
        if "forwarded" in cls:
            entry.forwarded += 1
            return "forwarded"
        if "text" in cls:
            if entry.text is None:
                entry.text = []
            elif entry.text:
                entry.text.append("\n")
            return self._start_capture("text", entry.text)
        if "from_name" in cls and entry.sender is None and not entry.forwarded:
            entry.sender = []
            return self._start_capture("from", entry.sender)
        if "date" in cls and "details" in cls and entry.date is None and "title" in attr:
            entry.date = attr["title"]
        elif "media_wrap" in cls or "media" in cls:
            entry.media = True
        elif "question" in cls or "answer" in cls:
            entry.poll.append([])
            return self._start_capture("poll", entry.poll[-1])
        return ""

    def _start_capture(self, role: str, target: list[str]) -> str:
        if self._capture is not None:  # nested: keep feeding the outer capture
            return ""
        self._capture, self._capture_role = target, role
        return role

    def handle_endtag(self, tag: str) -> None:
        if tag == "span" and self._capture_role == "from" and self._spans:
            self._spans -= 1
            return
        if tag != "div" or not self._divs:
            return
        role = self._divs.pop()
        if role == self._capture_role and role:
            self._capture, self._capture_role, self._spans = None, "", 0
        if role == "forwarded" and self.entry is not None:
            self.entry.forwarded -= 1
        elif role == "message" and self.entry is not None:
            self.done.append(self.entry)
            self.entry = None

    def handle_data(self, data: str) -> None:
        if self._capture is not None and not self._spans:
            self._capture.append(data)


def _html_time(title: str, tz: Any) -> str:
    """``"16.03.2022 14:45:19"`` (exporter-local) or ``"… UTC-03:00"`` (newer exports)."""
    m = _HTML_DATE.match(title)
    if m is None:
        raise _Malformed(f"unreadable date {title!r}")
    day, month, year, hour, minute, second = (int(g) for g in m.groups()[:6])
    try:
        value = datetime(year, month, day, hour, minute, second)
    except ValueError:
        raise _Malformed(f"impossible date {title!r}") from None
    if m.group(7):
        minutes = int(m.group(8)) * 60 + int(m.group(9))
        zone = fixed_offset(-minutes if m.group(7) == "-" else minutes)
        return iso_from_local(value, zone)
    return iso_from_local(value, tz)


class TelegramHtmlReader:
    """Telegram Desktop's default HTML export (``messages.html``, ``messages2.html`` …).

    HTML carries no sender ids and only exporter-local times (newer versions add the offset),
    so the JSON export is better evidence; this reader still reads what a moderator was given.
    """

    name = "telegram-html"
    description = "Telegram Desktop HTML export page (messages.html, messages2.html …)"
    detection = (
        'Telegram\'s export page skeleton (<div class="page_wrap"> / <title>Exported Data</title>) '
        'with <div class="message default clearfix"> or "message service" blocks'
    )

    def sniff(self, head: str, path: Path) -> bool:
        """The page skeleton plus Telegram's message block classes; both are fixed strings in
        the exporter's templates."""
        return bool(_HTML_PAGE.search(head) and _HTML_MESSAGE.search(head))

    def read(self, path: Path, options: ReadOptions) -> Iterator[Item]:
        """Message blocks in page order. Date separators (service blocks with a negative id)
        are layout, not entries, and produce nothing; a ``joined`` block continues the previous
        sender. Bold/code/links are flattened to text, ``<br>`` to newlines."""
        tz = options.tz()
        page = _HtmlPage()
        previous = ""
        try:
            fh = open_text(path)
        except OSError as exc:
            raise InputError(f"{path}: cannot open ({exc.strerror})") from exc
        with fh:
            while chunk := fh.read(_BLOCK):
                page.feed(chunk)
                for entry in page.done:
                    item, previous = self._item(entry, page, path, options, tz, previous)
                    if item is not None:
                        yield item
                page.done.clear()
        page.close()
        for entry in page.done:
            item, previous = self._item(entry, page, path, options, tz, previous)
            if item is not None:
                yield item
        if not page.skeleton:
            raise InputError(
                f"{path}: no Telegram message blocks found: expected a page of Telegram's HTML "
                'export (messages.html) with <div class="history">; for a complete and '
                "reliable read, re-export as JSON (Settings → Advanced → Export Telegram data "
                "→ Machine-readable JSON)"
            )
        if page.entry is not None:
            yield BadRecord(
                str(path),
                page.entry.line,
                f"the page ends inside message {page.entry.message_id or '?'}: expected its "
                "closing </div>; the file looks cut off",
            )

    def _item(
        self,
        entry: _HtmlEntry,
        page: _HtmlPage,
        path: Path,
        options: ReadOptions,
        tz: Any,
        previous: str,
    ) -> tuple[Item | None, str]:
        location = f"{path.name}:{entry.line}"
        if entry.sender is not None:
            previous = _normalise("".join(entry.sender)).strip()
        if entry.service:
            if entry.message_id.startswith("-"):
                return None, previous  # a date separator
            return Skipped("system", location), previous
        text = _normalise("".join(entry.text or [])).strip()
        if not text and entry.poll:
            text = "\n".join(_normalise("".join(p)).strip() for p in entry.poll).strip()
        if not text:
            return Skipped("media" if entry.media else "empty", location), previous
        try:
            timestamp = _html_time(entry.date, tz) if entry.date else None
        except _Malformed as exc:
            return BadRecord(str(path), entry.line, f"message {entry.message_id}: {exc}"), previous
        chat = _normalise("".join(page.title or [])).strip() or options.chat or path.stem
        sender = previous or "(unknown: continues the previous page)"
        return (
            ChatMessage(
                source_format=self.name,
                chat=chat,
                message_id=entry.message_id or str(entry.line),
                sender_id=sender,
                sender=sender,
                timestamp=timestamp,
                text=text,
                urls=_dedupe(entry.urls),
                location=location,
            ),
            previous,
        )


READERS = [TelegramJsonReader(), TelegramHtmlReader()]

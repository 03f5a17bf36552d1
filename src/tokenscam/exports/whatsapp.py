"""WhatsApp "Export chat" TXT (Android and iOS layouts, any locale we have seen).

WhatsApp writes one header per message and nothing else: Android ``DATE, TIME - Sender: text``,
iOS ``[DATE, TIME] Sender: text``; lines without a header continue the previous message. The
date and time follow the phone's locale, so the header pattern is deliberately broad (``/ . -``
dates, 2- or 4-digit years, 12/24-hour clocks, AM/PM markers in several languages on either side
of the time) and a line only counts as a header when the whole prefix matches.

Day/month order is decided once per file, because a file always comes from one phone (rule,
in order):

1. a date whose first field has 4 digits is year/month/day;
2. the first date in the file with a field greater than 12 decides (``13/05`` → day first,
   ``05/13`` → month first);
3. otherwise the order under which the dates never (or less often) go backwards wins — a chat
   is written in time order, so ``05/03, 06/03, 01/04`` is day first;
4. otherwise the locale hint: ``/`` dates with an upper-case ``AM``/``PM`` are the United States
   layout (month first); everything else (24-hour, lower-case ``am``/``pm``, ``p. m.``, CJK
   markers, ``.`` and ``-`` dates) is day first, like most locales.

``WhatsAppTxtReader(day_first=True|False)`` overrides the guess. A header whose date is invalid
in the file's order but valid the other way round (two exports pasted together) is read the
other way round; a header valid in neither is reported as a bad record.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path

from ..errors import BadRecord, InputError
from .base import (
    ChatMessage,
    Item,
    OrphanLines,
    ReadOptions,
    Skipped,
    clean_text,
    iso_from_local,
    open_text,
)

__all__ = ["WhatsAppTxtReader", "READERS"]

# --- header -------------------------------------------------------------------------------------

_CJK_MARK = r"上午|下午|午前|午後|오전|오후"
_LATIN_MARK = r"[AaPp]\.?\s?[Mm]\.?"
_DATE = r"(?P<d1>\d{1,4})(?P<sep>[./-])(?P<d2>\d{1,2})(?P=sep)(?P<d3>\d{1,4})\.?"
_TIME = (
    rf"(?:(?P<pre>{_CJK_MARK})\s?)?"
    r"(?P<h>\d{1,2})[:.](?P<mi>\d{2})(?:[:.](?P<s>\d{2}))?"
    rf"(?:\s?(?P<post>{_LATIN_MARK}|{_CJK_MARK}))?"
)
_BETWEEN = r",?\s(?:klo\s)?"  # "1/5/24, 9:30", "2024/05/01 09:30", Finnish "1.5.2024 klo 9.30"
_ANDROID = re.compile(rf"{_DATE}{_BETWEEN}{_TIME}\.?\s[-–]\s(?P<rest>\S.*)")
_IOS = re.compile(rf"\[{_DATE}{_BETWEEN}{_TIME}\.?\]\s?(?P<rest>\S.*)")

_PM = {"下午", "午後", "오후"}
_AM = {"上午", "午前", "오전"}

# iOS marks system entries (and attachments) with U+200E right after "Sender: "; clean_text
# drops that mark, so it is swapped for a private-use character first and checked afterwards.
_LRM_FLAG = "\ue000"


# clean_text rewrites every character; most lines have nothing to clean, so look first. The class
# covers what base.clean_text removes or replaces.
_DIRTY = re.compile("[\u00a0\u200b\u200e\u200f\u2009\u202a-\u202f\u2060\ufeff]")


def _clean(line: str) -> str:
    return clean_text(line) if _DIRTY.search(line) else line


def _header(line: str) -> re.Match[str] | None:
    m = _ANDROID.fullmatch(line)
    if m is None:
        # iOS entries always have "Sender: " (system entries use the group or contact name),
        # which keeps look-alikes such as "[5/1/2024 9:30 AM] author" (DiscordChatExporter
        # TXT) or a bracketed date quoted in a message body out.
        m = _IOS.fullmatch(line)
        if m is None or ": " not in m["rest"]:
            return None
    # A one-digit last field is only a day (after a 4-digit year); "1.2.3, 4:56 - …" in a
    # message body is not a header.
    if len(m["d1"]) == 4 or len(m["d3"]) in (2, 4):
        return m
    return None


# --- entry classification -----------------------------------------------------------------------

_MEDIA = re.compile(
    r"<(?:media omitted|medien ausgeschlossen|multimedia omitido|archivo omitido|médias omis"
    r"|media weggelaten|mídia oculta|mídia omitida|省略影音内容|已省略多媒體檔案|媒体已省略"
    r"|媒體已略去)>"
    r"|(?:image|video|audio|sticker|gif|photo|contact card|(?:.+ )?document) omitted"
    r"|<attached: [^>]*>"
    r"|(?:圖片|影片|音訊|貼圖|GIF|文件|相片|聯絡人名片)\s?已略去"
    r"|(?:图片|视频|音频|贴图|表情|GIF|文件|联系人名片)\s?已(?:省略|忽略)"
    r"|\S.* \(file attached\)|\S.* \(文件附件\)|\S.* \(已附加檔案\)"
    r"|null",  # a view-once photo or video in Android exports
    re.IGNORECASE,
)
# An attachment line followed by a caption: the caption is the text to score.
_ATTACHMENT_LINE = re.compile(r"<attached: [^>]*>|\S.* \(file attached\)", re.IGNORECASE)
_DELETED = re.compile(
    r"(?:this message was deleted|you deleted this message|这条消息已删除|此消息已删除"
    r"|你删除了这条消息|此訊息已刪除|你已刪除這則訊息|你刪除了此訊息|se eliminó este mensaje"
    r"|eliminaste este mensaje|diese nachricht wurde gelöscht|du hast diese nachricht gelöscht)\.?",
    re.IGNORECASE,
)
# The encryption banner sometimes carries the group name as a "sender" (Android and iOS).
_BANNER = re.compile(
    r"messages and calls are end-to-end encrypted|messages (?:to this group|you send to this "
    r"(?:group|chat)) are now secured with end-to-end encryption|消息和通话已进行端到端加密"
    r"|訊息與通話已受端對端加密保護|訊息和通話已受端對端加密保護",
    re.IGNORECASE,
)
# System lines that contain ": " and would otherwise look like "Sender: text".
_SYSTEM_REST = re.compile(
    r'(?:(?!: ).)+ changed the (?:subject|group name|group description) (?:from ".*" )?to ".*"'
    r"|(?:(?!: ).)+ (?:更改|修改)了群(?:组|組)(?:名称|名稱|主题|主題|描述|說明).*",
    re.IGNORECASE,
)
_EDITED = re.compile(r"\s*<(?:this message was edited|已编辑此消息|已編輯此訊息)>$", re.IGNORECASE)
_PHONE = re.compile(r"\+?\d[\d\s().-]{5,}\d")

# WhatsApp caps a message at 65,536 characters; far beyond that the "message" is really a run of
# lines that lost their headers, so it is reported rather than held in memory.
_MAX_MESSAGE_CHARS = 1_000_000


def _sender_id(name: str) -> str:
    """Phone numbers are ids already; only their spacing varies between exports."""
    if _PHONE.fullmatch(name):
        return ("+" if name.startswith("+") else "") + re.sub(r"\D", "", name)
    return name


def _display_name(name: str) -> str:
    # Newer exports prefix names that are not in the address book with "~ ".
    return name.removeprefix("~ ").strip()


# --- dates --------------------------------------------------------------------------------------


def _fields(m: re.Match[str], day_first: bool) -> tuple[int, int, int] | None:
    """(year, month, day) of a header, or None when the year field is malformed."""
    d1, d2, d3 = m["d1"], m["d2"], m["d3"]
    if len(d1) == 4:
        return (int(d1), int(d2), int(d3)) if len(d3) <= 2 else None
    if len(d1) == 3 or len(d3) not in (2, 4):
        return None
    year = int(d3) + (2000 if len(d3) == 2 else 0)
    a, b = int(d1), int(d2)
    return (year, b, a) if day_first else (year, a, b)


def _valid(ymd: tuple[int, int, int] | None) -> bool:
    if ymd is None:
        return False
    try:
        datetime(*ymd)
    except ValueError:
        return False
    return True


def _clock(m: re.Match[str]) -> tuple[int, int, int] | None:
    hour, minute, second = int(m["h"]), int(m["mi"]), int(m["s"] or 0)
    marker = m["pre"] or m["post"]
    if marker and 1 <= hour <= 12:
        pm = marker in _PM or marker[0] in "pP"
        am = marker in _AM or marker[0] in "aA"
        if pm and hour != 12:
            hour += 12
        elif am and hour == 12:
            hour = 0
    if hour > 23 or minute > 59 or second > 59:
        return None
    return hour, minute, second


def _when(m: re.Match[str], day_first: bool) -> datetime | None:
    ymd = _fields(m, day_first)
    if not _valid(ymd):
        ymd = _fields(m, not day_first)
        if not _valid(ymd):
            return None
    hms = _clock(m)
    if hms is None or ymd is None:
        return None
    return datetime(*ymd, *hms)


def _guess_day_first(path: Path) -> bool:
    """Day/month order of the whole file (the rule is in the module docstring).

    A second streaming pass: it stops at the first decisive date, so it usually reads a few
    lines; a file of only ambiguous dates is read to the end, still in constant memory.
    """
    hint: bool | None = None
    previous: dict[bool, tuple[int, int, int] | None] = {True: None, False: None}
    backwards = {True: 0, False: 0}
    headers = 0
    with open_text(path) as fh:
        for raw in fh:
            m = _header(_clean(raw.rstrip("\n")))
            if m is None:
                continue
            headers += 1
            if len(m["d1"]) == 4:
                continue
            a, b = int(m["d1"]), int(m["d2"])
            if a > 12 >= b >= 1:
                return True
            if b > 12 >= a >= 1:
                return False
            if hint is None:
                marker = m["post"] or ""
                hint = not (m["sep"] == "/" and marker in ("AM", "PM"))
            for order in (True, False):
                ymd = _fields(m, order)
                if ymd is None:
                    continue
                if previous[order] is not None and ymd < previous[order]:
                    backwards[order] += 1
                previous[order] = ymd
    if headers == 0:
        raise InputError(
            f"{path}: no WhatsApp message header found; expected lines like "
            "'DATE, TIME - Sender: text' (Android) or '[DATE, TIME] Sender: text' (iOS)"
        )
    if backwards[True] != backwards[False]:
        return backwards[True] < backwards[False]
    return True if hint is None else hint


# --- chat name ----------------------------------------------------------------------------------

_CHAT_NAME = (
    re.compile(r"WhatsApp Chat (?:with|-) (?P<name>.+)", re.IGNORECASE),
    re.compile(r"[与與](?P<name>.+?)的\s?WhatsApp\s?(?:聊天|對話|对话|聊天記錄|聊天记录)"),
)


def _chat_name(path: Path) -> str:
    candidates = [path.stem]
    if path.stem == "_chat":  # the iOS ZIP, usually unpacked into "WhatsApp Chat - X/"
        candidates.insert(0, path.parent.name)
    for candidate in candidates:
        for pattern in _CHAT_NAME:
            m = pattern.fullmatch(candidate)
            if m:
                return m["name"].strip()
    return path.stem


# --- reader -------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Entry:
    line: int
    header: re.Match[str]
    rest: str
    lines: list[str] = field(default_factory=list)
    size: int = 0


@dataclass
class WhatsAppTxtReader:
    """WhatsApp "Export chat" TXT, Android and iOS layouts."""

    day_first: bool | None = None
    name: str = "whatsapp-txt"
    description: str = "WhatsApp 'Export chat' TXT (Android and iOS layouts, any locale)"
    detection: str = (
        "3 of the first 20 non-empty lines (or a short file's first line) are "
        "'DATE, TIME - Sender: text' or '[DATE, TIME] Sender: text'"
    )

    def sniff(self, head: str, path: Path) -> bool:
        lines = [line for line in head.split("\n") if line.strip()][:20]
        if not lines:
            return False
        hits = [_header(line) is not None for line in lines]
        if sum(hits) >= 3:
            return True
        # A chat of one or two messages: the whole file is in the head and starts with a header.
        return hits[0] and len(lines) < 20 and len(head) < 60_000

    def read(self, path: Path, options: ReadOptions) -> Iterator[Item]:
        tz = options.tz()
        day_first = self.day_first if self.day_first is not None else _guess_day_first(path)
        chat = options.chat or _chat_name(path)
        source = path.name
        entry: _Entry | None = None
        orphans = OrphanLines(
            source,
            "without a message header; expected 'DATE, TIME - Sender: text' "
            "or '[DATE, TIME] Sender: text'",
        )

        with open_text(path) as fh:
            for lineno, raw in enumerate(fh, 1):
                raw = raw.rstrip("\n")
                line = _clean(raw.replace(": \u200e", ": " + _LRM_FLAG, 1))
                m = _header(line)
                if m is not None:
                    yield from orphans.flush()
                    if entry is not None:
                        yield self._finish(entry, source, chat, day_first, tz)
                    entry = _Entry(lineno, m, m["rest"])
                    entry.size = len(entry.rest)
                elif entry is not None and entry.size <= _MAX_MESSAGE_CHARS:
                    text = line.replace(_LRM_FLAG, "")
                    entry.lines.append(text)
                    entry.size += len(text) + 1
                elif line.strip():
                    if entry is not None:  # the message overflowed: report it, keep counting
                        yield BadRecord(
                            source,
                            entry.line,
                            f"message runs past {_MAX_MESSAGE_CHARS} characters; "
                            "expected a new 'DATE, TIME - Sender: text' header",
                        )
                        entry = None
                    orphans.add(lineno)
            yield from orphans.flush()
            if entry is not None:
                yield self._finish(entry, source, chat, day_first, tz)

    def _finish(self, entry: _Entry, source: str, chat: str, day_first: bool, tz: tzinfo) -> Item:
        location = f"{source}:{entry.line}"
        when = _when(entry.header, day_first)
        if when is None:
            prefix = entry.header.string[: entry.header.start("rest")].strip()
            return BadRecord(
                source, entry.line, f"invalid date or time {prefix!r} in a message header"
            )
        rest = entry.rest
        if _SYSTEM_REST.fullmatch(rest.replace(_LRM_FLAG, "")):
            return Skipped("system", location)
        cut = rest.find(": ")
        if cut <= 0:
            return Skipped("system", location)  # no sender: group events, security notices
        raw_sender, body = rest[:cut], rest[cut + 2 :]
        flagged = body.startswith(_LRM_FLAG)
        body = body.replace(_LRM_FLAG, "")
        text = "\n".join([body, *entry.lines]).rstrip()
        text = _EDITED.sub("", text).strip()
        if not text:
            return Skipped("empty", location)
        if _DELETED.fullmatch(text) or _BANNER.match(text):
            return Skipped("system", location)
        if _MEDIA.fullmatch(text):
            return Skipped("media", location)
        first, _, caption = text.partition("\n")
        if _ATTACHMENT_LINE.fullmatch(first.strip()):
            text = caption.strip()  # keep the caption, drop the placeholder
        elif flagged:
            # iOS marks what the app wrote itself: a shared location is media, the rest
            # ("‎Missed voice call", "‎Alice added Bob", …) are system entries.
            kind = "media" if text.lower().startswith("location:") else "system"
            return Skipped(kind, location)
        sender = _display_name(raw_sender)
        return ChatMessage(
            source_format=self.name,
            chat=chat,
            message_id=str(entry.line),
            sender_id=_sender_id(sender),
            sender=sender,
            timestamp=iso_from_local(when, tz),
            text=text,
            urls=[],
            location=location,
        )


READERS = [WhatsAppTxtReader()]

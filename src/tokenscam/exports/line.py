"""LINE chat-history TXT ("Send chat history" / 傳送聊天記錄 / トーク履歴を送信).

LINE writes a ``[LINE] …`` title, a ``Saved on:`` / ``保存日期:`` / ``儲存日期：`` line, then per
day a date line (``2026/1/30周五``, ``2026/01/30（五）``, ``Fri, 1/30/2026``,
``2025.12.10 Wednesday``, ``2026/1/30(金)``) followed by ``TIME<TAB>Sender<TAB>Content`` lines.
Only the time is on the message line, so the date is carried over from the last date line and
the wall-clock time is placed in ``options.tz()`` (LINE writes no offset; minute resolution).

Multi-line content is wrapped in double quotes and may contain tabs, blank lines and lines that
look like message lines, so inside an open quote every line belongs to the message until a line
ends with ``"``. A quote that never closes (a message that merely *started* with ``"``) would
swallow the rest of the file: after :data:`MAX_QUOTED_LINES` lines or at the end of the file the
opening line is read as a one-line message of its own and the lines after it are read again.
Lines that fit nowhere outside quotes continue the previous message (older exports did not
quote); before the first message they are reported as bad records.

System events have an empty sender (``TIME<TAB><TAB>text``). Some exports use single spaces
instead of tabs; when the first 64 KB has no tab-separated message line the file is read in
that mode, where the sender is the first space-free word after the time (LINE names with spaces
cannot be told apart from the text there) and two spaces mean "no sender".
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from pathlib import Path

from ..errors import BadRecord, InputError
from .base import (
    ChatMessage,
    Item,
    OrphanLines,
    ReadOptions,
    Skipped,
    clean_text,
    decode_head,
    iso_from_local,
    open_text,
)

__all__ = ["LineTxtReader", "READERS", "MAX_QUOTED_LINES"]

MAX_QUOTED_LINES = 1000

# --- patterns -----------------------------------------------------------------------------------

_TITLE = re.compile(r"\[LINE\]\s*(?P<title>.*)|(?P<plain>Chat history (?:with|in) .+)")
_SAVED = re.compile(r"(?:Saved on|保存日期|儲存日期|保存日時|저장한 날짜)\s*[:：].*", re.IGNORECASE)
_CHAT_FROM_TITLE = (
    re.compile(r"Chat history (?:with|in) (?P<name>.+)", re.IGNORECASE),
    re.compile(r"[与與]?(?P<name>.+?)的聊天(?:记录|記錄|紀錄)"),
    re.compile(r"(?P<name>.+?)(?:との|の)トーク履歴"),
)

_WEEKDAY = (
    r"(?:[（(][^（）()]{1,9}[）)]"  # (金) （五） (Fri)
    r"|(?:周|週|星期|禮拜|礼拜)[一二三四五六日天]"
    r"|[月火水木金土日]曜日?"
    r"|[A-Za-z]{3,9}\.?)"  # Wednesday, Wed.
)
_DATE_YMD = re.compile(
    rf"(?P<y>\d{{4}})(?P<sep>[./-])(?P<m>\d{{1,2}})(?P=sep)(?P<d>\d{{1,2}})\s*{_WEEKDAY}?"
    rf"|(?P<y2>\d{{4}})年(?P<m2>\d{{1,2}})月(?P<d2>\d{{1,2}})日\s*{_WEEKDAY}?"
)
_DATE_EN = re.compile(r"[A-Za-z]{3,9}\.?,?\s+(?P<a>\d{1,2})/(?P<b>\d{1,2})/(?P<y>\d{4})")
_MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_DATE_EN_LONG = re.compile(
    r"(?:[A-Za-z]{3,9},?\s+)?(?P<mon>[A-Za-z]{3,9})\.?\s+(?P<d>\d{1,2}),?\s+(?P<y>\d{4})"
)

_TIME = (
    r"(?:(?P<pre>上午|下午|午前|午後|오전|오후)\s?)?"
    r"(?P<h>\d{1,2}):(?P<mi>\d{2})(?:\s?(?P<post>[AaPp][Mm]))?"
)
_TAB_MESSAGE = re.compile(rf"{_TIME}\t(?P<sender>[^\t]*)(?:\t(?P<content>.*))?")
_SPACE_MESSAGE = re.compile(rf"{_TIME} (?P<sender>\S*) (?P<content>.*)")

_MEDIA = re.compile(
    r"\[(?:photo|photos|sticker|video|file|voice message|audio|album|contact|location|gif"
    r"|圖片|照片|貼圖|影片|檔案|語音訊息|相簿|聯絡資訊|位置資訊"
    r"|图片|贴图|视频|文件|语音消息|语音信息|相册|联系人|位置信息|表情贴|"
    r"写真|スタンプ|動画|ファイル|ボイスメッセージ|アルバム|連絡先|位置情報)\]",
    re.IGNORECASE,
)
# "<sender> unsent a message" and its translations; only when "<sender>" is the sender (or
# "you"), so a message that merely mentions unsending is still scored.
_UNSENT = re.compile(
    r"(?P<who>.*?)\s?(?:unsent a message\.?|已收回訊息|已收回讯息|撤回了一条消息|收回了一則訊息"
    r"|がメッセージの送信を取り消しました|メッセージの送信を取り消しました)",
    re.IGNORECASE,
)
_YOU = {"", "you", "你", "您", "あなた"}

_PM = {"下午", "午後", "오후"}
_AM = {"上午", "午前", "오전"}


# clean_text rewrites every character; most lines have nothing to clean, so look first. The class
# covers what base.clean_text removes or replaces.
_DIRTY = re.compile("[\u00a0\u200b\u200e\u200f\u2009\u202a-\u202f\u2060\ufeff]")


def _clean(line: str) -> str:
    return clean_text(line) if _DIRTY.search(line) else line


def _title_chat(title: str) -> str:
    title = title.strip()
    for pattern in _CHAT_FROM_TITLE:
        m = pattern.fullmatch(title)
        if m:
            return m["name"].strip().strip("「」\"'")
    return title


def _parse_date(line: str) -> date | None | bool:
    """The day a date line names; None for an impossible date; False when it is no date line."""
    try:
        m = _DATE_YMD.fullmatch(line)
        if m:
            if m["y"]:
                return date(int(m["y"]), int(m["m"]), int(m["d"]))
            return date(int(m["y2"]), int(m["m2"]), int(m["d2"]))
        m = _DATE_EN.fullmatch(line)
        if m:
            # English LINE writes month/day/year; a first field over 12 can only be a day.
            a, b = int(m["a"]), int(m["b"])
            month, day = (b, a) if a > 12 else (a, b)
            return date(int(m["y"]), month, day)
        m = _DATE_EN_LONG.fullmatch(line)
        if m and m["mon"][:3].lower() in _MONTHS:
            return date(int(m["y"]), _MONTHS[m["mon"][:3].lower()], int(m["d"]))
    except ValueError:
        return None
    return False


def _clock(m: re.Match[str]) -> tuple[int, int] | None:
    hour, minute = int(m["h"]), int(m["mi"])
    marker = m["pre"] or m["post"]
    if marker and 1 <= hour <= 12:
        pm = marker in _PM or marker[0] in "pP"
        am = marker in _AM or marker[0] in "aA"
        if pm and hour != 12:
            hour += 12
        elif am and hour == 12:
            hour = 0
    if hour > 23 or minute > 59:
        return None
    return hour, minute


# --- reading ------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Message:
    line: int
    match: re.Match[str]
    sender: str
    day: date | None
    lines: list[tuple[int, str]] = field(default_factory=list)  # (line, text) after the first
    quoted: bool = False  # opened with '"' and not closed yet
    was_quoted: bool = False


class _Lines:
    """Numbered lines of the file, with room to push lines back for a second look."""

    def __init__(self, lines: Iterable[str]) -> None:
        self._source = enumerate(lines, 1)
        self._back: deque[tuple[int, str]] = deque()

    def __iter__(self) -> Iterator[tuple[int, str]]:
        return self

    def __next__(self) -> tuple[int, str]:
        if self._back:
            return self._back.popleft()
        lineno, raw = next(self._source)
        return lineno, _clean(raw.rstrip("\n"))

    def push_back(self, lines: list[tuple[int, str]]) -> None:
        self._back.extendleft(reversed(lines))


@dataclass
class LineTxtReader:
    """LINE chat-history TXT, any app language."""

    name: str = "line-txt"
    description: str = (
        "LINE chat history TXT ('[LINE] …' title, date lines, TIME<TAB>Sender<TAB>Text)"
    )
    detection: str = (
        "first line '[LINE] …' or 'Chat history with/in …' (or '[LINE]' in the file name, or a "
        "date line first) and lines 'TIME<TAB>Sender<TAB>Text' after a date line"
    )

    def sniff(self, head: str, path: Path) -> bool:
        lines = [line for line in head.split("\n") if line.strip()][:200]
        if not lines:
            return False
        dates = sum(1 for line in lines if _parse_date(line.strip()) is not False)
        tabs = sum(1 for line in lines if _TAB_MESSAGE.fullmatch(line))
        if _TITLE.fullmatch(lines[0].strip()):
            saved = any(_SAVED.fullmatch(line.strip()) for line in lines[1:3])
            spaced = sum(1 for line in lines if _SPACE_MESSAGE.fullmatch(line))
            return saved or dates > 0 or tabs > 0 or spaced > 0
        if "[LINE]" in path.name or _parse_date(lines[0].strip()) is not False:
            return dates > 0 and tabs >= 2
        return False

    def read(self, path: Path, options: ReadOptions) -> Iterator[Item]:
        tz = options.tz()
        head, _ = decode_head(path)
        head_lines = head.split("\n")
        tabbed = any(_TAB_MESSAGE.fullmatch(line) for line in head_lines)
        if not tabbed and not self._looks_like_line(head_lines):
            raise InputError(
                f"{path}: not a LINE chat history; expected a '[LINE] …' title, date lines such "
                "as '2026/1/30周五' and message lines 'TIME<TAB>Sender<TAB>Text'"
            )
        message_pattern = _TAB_MESSAGE if tabbed else _SPACE_MESSAGE
        source = path.name
        chat = options.chat or _title_chat(path.stem.removeprefix("[LINE]"))
        day: date | None = None
        started = False  # past the title block
        pending: _Message | None = None
        orphans = OrphanLines(
            source,
            "before the first message; expected a date line or 'TIME<TAB>Sender<TAB>Text'",
        )

        with open_text(path) as fh:
            lines = _Lines(fh)
            while True:
                for lineno, line in lines:
                    if pending is not None and pending.quoted:
                        pending.lines.append((lineno, line))
                        if line.rstrip().endswith('"'):
                            pending.quoted = False
                            yield self._finish(pending, source, chat, tz)
                            pending = None
                        elif len(pending.lines) >= MAX_QUOTED_LINES:
                            yield self._reopen(pending, lines, source, chat, tz)
                            pending = None
                        continue
                    stripped = line.strip()
                    if not stripped:
                        continue  # blank lines separate the days
                    if not started and (title := _TITLE.fullmatch(stripped)):
                        if options.chat is None:
                            chat = _title_chat(title["title"] or title["plain"] or chat)
                        continue
                    if not started and _SAVED.fullmatch(stripped):
                        continue
                    parsed = _parse_date(stripped)
                    m = None if parsed is not False else message_pattern.fullmatch(line)
                    if parsed is False and m is None and pending is not None:
                        pending.lines.append((lineno, line))  # an unquoted continuation
                        continue
                    started = True
                    if parsed is False and m is None:
                        orphans.add(lineno)
                        continue
                    yield from orphans.flush()
                    if pending is not None:
                        yield self._finish(pending, source, chat, tz)
                        pending = None
                    if m is not None:
                        pending = self._start(lineno, m, day)
                    elif parsed is None:
                        day = None
                        yield BadRecord(
                            source, lineno, f"impossible date {stripped!r} in a date line"
                        )
                    else:
                        day = parsed
                # End of the file (or of the lines pushed back).
                if pending is not None and pending.quoted:
                    # The lines after an unclosed quote are read again, with the same rules.
                    yield self._reopen(pending, lines, source, chat, tz)
                    pending = None
                    continue
                break
            yield from orphans.flush()
            if pending is not None:
                yield self._finish(pending, source, chat, tz)

    # -- helpers ---------------------------------------------------------------------------------

    @staticmethod
    def _looks_like_line(lines: list[str]) -> bool:
        for line in lines:
            s = line.strip()
            if s and (_TITLE.fullmatch(s) or _parse_date(s) is not False):
                return True
        return False

    @staticmethod
    def _start(lineno: int, m: re.Match[str], day: date | None) -> _Message:
        # "TIME<TAB>text" with a single tab is an event without a sender, like "TIME<TAB><TAB>".
        sender = (m["sender"] or "").strip() if m["content"] is not None else ""
        msg = _Message(lineno, m, sender, day)
        content = m["content"] if m["content"] is not None else (m["sender"] or "")
        if content.startswith('"') and not (len(content) > 1 and content.rstrip().endswith('"')):
            msg.quoted = msg.was_quoted = True
        return msg

    def _reopen(self, pending: _Message, lines: _Lines, source: str, chat: str, tz: tzinfo) -> Item:
        """An opening quote that never closed: the first line is the whole message."""
        lines.push_back(pending.lines)
        pending.lines = []
        pending.quoted = pending.was_quoted = False
        return self._finish(pending, source, chat, tz)

    def _finish(self, msg: _Message, source: str, chat: str, tz: tzinfo) -> Item:
        location = f"{source}:{msg.line}"
        hm = _clock(msg.match)
        if hm is None:
            return BadRecord(
                source, msg.line, f"impossible time {msg.match['h']}:{msg.match['mi']}"
            )
        first = msg.match["content"]
        if first is None:
            first = msg.match["sender"] or ""
        parts = [first, *(text for _, text in msg.lines)]
        text = "\n".join(parts).rstrip()
        if msg.was_quoted and text.startswith('"') and text.endswith('"'):
            text = text[1:-1]
        text = text.strip()
        if not msg.sender:
            return Skipped("system", location)
        if not text:
            return Skipped("empty", location)
        if _MEDIA.fullmatch(text):
            return Skipped("media", location)
        unsent = _UNSENT.fullmatch(text)
        who = unsent["who"].strip() if unsent else None
        if text.startswith("☎") or (who is not None and (who.lower() in _YOU or who == msg.sender)):
            return Skipped("system", location)  # calls and unsent messages
        timestamp = None
        if msg.day is not None:
            timestamp = iso_from_local(datetime(msg.day.year, msg.day.month, msg.day.day, *hm), tz)
        return ChatMessage(
            source_format=self.name,
            chat=chat,
            message_id=str(msg.line),
            sender_id=msg.sender,
            sender=msg.sender,
            timestamp=timestamp,
            text=text,
            urls=[],
            location=location,
        )


READERS = [LineTxtReader()]

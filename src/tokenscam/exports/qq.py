"""QQ chat exports: the classic message-manager TXT and QQChatExporter (QCE) for QQNT.

Two families of files reach a trust & safety team from QQ:

* ``qq-txt`` — what PC QQ's 消息管理器 (message manager, QQ ≤ 9.x) writes: a banner, blocks
  headed by ``消息分组`` / ``消息对象`` between ``====`` lines, then messages that each start with a
  ``YYYY-MM-DD H:MM:SS sender`` line. There is no writer code to read, so the parser is lenient:
  bodies end only at the next header line (they may contain blank lines), the separator block may
  be missing, and any of the BOM / UTF-8 / UTF-16 / GB18030 encodings may turn up.
* ``qq-chat-exporter-json`` — QQChatExporter's JSON: the single file (``metadata``, ``chatInfo``,
  ``statistics``, ``messages`` [, ``avatars``]), the chunked-JSONL ``manifest.json`` with its
  ``chunks/*.jsonl`` and one chunk file on its own. Files can be gigabytes (base64 avatars), so
  they are streamed with ijson / line by line.
* ``qq-chat-exporter-txt`` — QQChatExporter's plain-text export (``[QQChatExporter`` banner,
  ``name:`` / ``时间:`` / ``内容:`` blocks). Names only, no QQ numbers.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

import ijson
import orjson

from ..errors import BadRecord, InputError
from .base import (
    SNIFF_BYTES,
    ChatMessage,
    Item,
    ReadOptions,
    Skipped,
    clean_text,
    decode_head,
    detect_encoding,
    iso_from_epoch,
    iso_from_local,
    open_text,
)

__all__ = ["QQTxtReader", "QCEJsonReader", "QCETxtReader", "READERS"]

# --- shared -------------------------------------------------------------------------------------

# Placeholders QQ writes instead of media. A message made only of these is "media"; inside text
# they are removed so the scorer sees the words alone.
_MEDIA_WORDS = (
    "图片|表情|动画表情|超级表情|商城表情|大表情|魔法表情|闪照|语音|视频|短视频|文件|"
    "QQ红包|红包|戳一戳|窗口抖动|位置|名片|音乐|礼物|转账|"
    "图片消息|表情消息|语音消息|视频消息|文件消息|动画表情消息|视频文件"
)
_PLACEHOLDER = re.compile(rf"\[(?:{_MEDIA_WORDS})(?:[:：][^\]\n]*)?\]")
_RECALL = re.compile(r"^.{0,64}撤回了一条(?:成员)?消息[。.！!]?(?:\s*重新编辑)?$")
# QQ's own notices: "[图片]对方已成功接收了你发送的离线文件", red-packet templates.
_MEDIA_NOTICE = re.compile(r"^(?:\[图片\])?对方已成功接收了你发送的离线文件|^\[QQ红包\]")
_SYSTEM_IDS = frozenset({"10000", "1000000"})


# The characters base.clean_text removes or replaces. Searching for them first is much cheaper
# than translating every line of a large file, and most lines have none.
_UNCLEAN = re.compile("[\u200b\u200e\u200f\u202a-\u202e\u2060\ufeff\u202f\u2009\u00a0]")


def _clean(line: str) -> str:
    return clean_text(line) if _UNCLEAN.search(line) else line


def _strip_placeholders(text: str) -> str:
    return _PLACEHOLDER.sub("", text).strip()


def _classify_body(text: str) -> str | None:
    """The Skipped kind for a message body, or None when it has text to score."""
    if not text:
        return "empty"
    if "\n" not in text and _RECALL.match(text):
        return "system"
    if _MEDIA_NOTICE.match(text) or not _strip_placeholders(text):
        return "media"
    return None


def _dedupe(values: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        if value and value not in seen:
            seen[value] = None
    return list(seen)


def _chat_name(options: ReadOptions, found: str | None, path: Path) -> str:
    return options.chat or found or path.stem


# --- classic message-manager TXT ----------------------------------------------------------------

_BANNER = "消息记录（此消息记录为文本格式"
_SEPARATOR = re.compile(r"^={10,}$")
_META = re.compile(r"^消息(分组|对象)\s*[:：]\s*(.*)$")
_TIME_PREFIX = r"(\d{4})-(\d{1,2})-(\d{1,2})[ \t]+(?:(上午|下午)[ \t]?)?(\d{1,2}):(\d{2}):(\d{2})"
_HEADER = re.compile(_TIME_PREFIX + r"(?:[ \t]?([AaPp]\.?[Mm]\.?|上午|下午))?[ \t]+(\S.*?)\s*$")
_QQ_ID = re.compile(r"^(.*?)\s*\((\d{5,})\)$")
_EMAIL_ID = re.compile(r"^(.*?)\s*<([^<>\s]+@[^<>\s]+)>$")
_TITLES = re.compile(r"^(?:【[^】\n]*】\s*)+")
# Sniffing an excerpt without banner: a header whose sender carries a QQ number or an e-mail.
_STRICT_HEADER = re.compile(
    _TIME_PREFIX + r"(?:[ \t]?(?:[AaPp]\.?[Mm]\.?|上午|下午))?[ \t]+"
    r".*(?:\(\d{5,}\)|<[^<>\s]+@[^<>\s]+>)\s*$"
)
_ANY_TIME_LINE = re.compile(_TIME_PREFIX)


def _header_time(m: re.Match[str]) -> tuple[datetime | None, str | None, str]:
    """``(wall-clock time or None, error or None, sender text)`` of a header-line match."""
    year, month, day, pre, hour, minute, second, post, sender = m.groups()
    marker = pre or post
    h = int(hour)
    if post and not pre and h > 12:
        # "18:43:38 AM小王" cannot be 12-hour time: the letters belong to the nickname.
        sender = f"{post} {sender}"
        marker = None
    if marker:
        pm = marker in ("下午",) or marker[0] in "Pp"
        if not 1 <= h <= 12:
            return None, f"hour {h} is not a 12-hour time ({marker})", sender
        h = h % 12 + (12 if pm else 0)
    try:
        value = datetime(int(year), int(month), int(day), h, int(minute), int(second))
    except ValueError as exc:
        return None, f"invalid date or time ({exc})", sender
    return value, None, sender


def _parse_sender(text: str) -> tuple[str, str]:
    """``(sender id, display name)`` from ``【头衔】昵称(QQ号)``, ``昵称<email>`` or a bare ``昵称``.

    The id is the LAST parenthesised number (nicknames may hold parentheses themselves); group
    titles are dropped from the name because they change while the person stays the same."""
    text = text.strip()
    titles = _TITLES.match(text)
    rest = text[titles.end() :].strip() if titles else text
    for pattern in (_EMAIL_ID, _QQ_ID):
        m = pattern.match(rest)
        if m:
            name = m.group(1).strip() or (titles.group(0).strip() if titles else "")
            return m.group(2), name or m.group(2)
    name = rest or text
    return name, name


@dataclass(slots=True)
class _Pending:
    """A message being collected: its header and the body lines seen so far."""

    line: int
    sender_id: str
    sender: str
    timestamp: str | None
    error: str | None
    body: list[str] = field(default_factory=list)


class _QQTxtParser:
    """Line-by-line state machine. Separator/meta lines are held back until the next ordinary
    line decides whether they are structure (a new 消息分组/消息对象 block: a meta line between
    two ==== lines, or anything before the first message) or message text."""

    def __init__(self, path: Path, options: ReadOptions) -> None:
        self.path = path
        self.source = str(path)
        self.tz: tzinfo = options.tz()
        self.chat_override = options.chat
        self.chat = path.stem
        self.cur: _Pending | None = None
        self.last_time: datetime | None = None
        self.held: list[tuple[int, str, str]] = []  # (line number, kind, raw line)
        self.in_orphan = False
        self.id_headers = self.bare_headers = 0  # senders with / without an id in this block
        self.out: list[Item] = []  # items finished by the line just fed

    def run(self) -> Iterator[Item]:
        out = self.out
        with open_text(self.path) as fh:
            for lineno, raw in enumerate(fh, 1):
                self._feed(lineno, _clean(raw.rstrip("\r\n")))
                if out:
                    yield from out
                    out.clear()
        if self.held:
            self._resolve_held()
        self._close()
        yield from out

    # -- classification --------------------------------------------------------------------------

    def _feed(self, lineno: int, line: str) -> None:
        stripped = line.strip()
        if not stripped:
            if self.held:
                self.held.append((lineno, "blank", line))
            elif self.cur is not None:
                self.cur.body.append("")
            return
        lead = stripped[0]  # cheap dispatch: most lines are body text
        if lead == "=" and _SEPARATOR.match(stripped):
            self.held.append((lineno, "sep", line))
            return
        if lead == "消":
            if _META.match(stripped):
                self.held.append((lineno, "meta", line))
                return
            if stripped.startswith(_BANNER):
                self.held.append((lineno, "banner", line))
                return
        if self.held:
            self._resolve_held()
        m = _HEADER.match(stripped) if lead.isdigit() else None
        if m:
            when, error, sender_text = _header_time(m)
            if self._starts_message(when, sender_text):
                self._close()
                self.in_orphan = False
                sender_id, sender = _parse_sender(sender_text)
                stamp = iso_from_local(when, self.tz) if when else None
                self.cur = _Pending(lineno, sender_id, sender, stamp, error)
                if when is not None:
                    self.last_time = when
                return
        if self.cur is not None:
            self.cur.body.append(line.rstrip())
        elif not self.in_orphan:
            self.in_orphan = True
            self.out.append(
                BadRecord(
                    self.source,
                    lineno,
                    "text outside any message: expected a 'YYYY-MM-DD H:MM:SS sender' header line",
                )
            )

    def _starts_message(self, when: datetime | None, sender_text: str) -> bool:
        """A header-like line starts a message unless it sits in a body and looks quoted: its time
        goes backwards; or its sender has no QQ number / e-mail while this block's senders all
        had one (then "2024-01-01 10:00:00 开会" is a line of text); or its time is invalid and
        the sender has no id either."""
        has_id = bool(_QQ_ID.match(sender_text) or _EMAIL_ID.match(sender_text))
        if self.cur is not None:
            if when is None and not has_id:
                return False
            if not has_id and self.id_headers and not self.bare_headers:
                return False
            if when is not None and self.last_time is not None and when < self.last_time:
                return False
        if has_id:
            self.id_headers += 1
        else:
            self.bare_headers += 1
        return True

    def _structural(self, held: list[tuple[int, str, str]]) -> bool:
        if self.cur is None:
            return True
        marks = [kind for _, kind, _ in held if kind != "blank"]
        if "banner" in marks:
            return True
        # Exporters put a ==== line on both sides of 消息分组 / 消息对象; a body line that merely
        # follows a row of '=' is text.
        for i, kind in enumerate(marks[1:-1], 1):
            if kind == "meta" and marks[i - 1] == "sep" and marks[i + 1] == "sep":
                return True
        return False

    def _resolve_held(self) -> None:
        held, self.held = self.held, []
        if not self._structural(held):
            assert self.cur is not None
            self.cur.body.extend(line.rstrip() for _, _, line in held)
            return
        self._close()
        self.in_orphan = False
        self.last_time = None  # a new block may start earlier than the previous one ended
        self.id_headers = self.bare_headers = 0
        for _, kind, line in held:
            if kind == "meta":
                m = _META.match(line.strip())
                if m and m.group(1) == "对象" and m.group(2).strip():
                    self.chat = m.group(2).strip()

    # -- output ----------------------------------------------------------------------------------

    def _close(self) -> None:
        cur, self.cur = self.cur, None
        if cur is not None:
            self.out.append(self._item(cur))

    def _item(self, cur: _Pending) -> Item:
        location = f"{self.path.name}:{cur.line}"
        if cur.error:
            return BadRecord(self.source, cur.line, f"message header: {cur.error}")
        text = "\n".join(cur.body).strip()
        if cur.sender_id in _SYSTEM_IDS or cur.sender == "系统消息":
            return Skipped("system", location)
        kind = _classify_body(text)
        if kind:
            return Skipped(kind, location)
        return ChatMessage(
            source_format=QQTxtReader.name,
            chat=self.chat_override or self.chat,
            message_id=str(cur.line),
            sender_id=cur.sender_id,
            sender=cur.sender,
            timestamp=cur.timestamp,
            text=_strip_placeholders(text),
            urls=[],
            location=location,
        )


class QQTxtReader:
    """PC QQ 消息管理器 TXT (pre-QQNT)."""

    name = "qq-txt"
    description = "QQ message manager (消息管理器) TXT export from PC QQ up to 9.x"
    detection = (
        "first line 消息记录（此消息记录为文本格式…; or 消息分组/消息对象 lines beside ==== lines; "
        "or header lines 'YYYY-MM-DD H:MM:SS 昵称(QQ号)' / '昵称<email>'"
    )

    def sniff(self, head: str, path: Path) -> bool:
        lines = head.split("\n")[:400]
        nonblank = [ln.strip() for ln in lines if ln.strip()]
        if not nonblank:
            return False
        if nonblank[0].startswith(_BANNER):
            return True
        for i, line in enumerate(nonblank):
            if _META.match(line) and any(
                _SEPARATOR.match(other) for other in nonblank[max(i - 1, 0) : i + 2]
            ):
                return True
        # An excerpt without banner: it must open with a header carrying an id, and most
        # timestamped lines must carry one (MemoTrace's TXT has the same time layout, no ids).
        if not _STRICT_HEADER.match(nonblank[0]):
            return False
        window = nonblank[:200]
        strict = sum(1 for ln in window if _STRICT_HEADER.match(ln))
        timed = sum(1 for ln in window if _ANY_TIME_LINE.match(ln))
        return strict * 2 >= timed

    def read(self, path: Path, options: ReadOptions) -> Iterator[Item]:
        return _QQTxtParser(path, options).run()


# --- QQChatExporter JSON ------------------------------------------------------------------------

_MEDIA_ELEMENTS = frozenset(
    {
        "image",
        "pic",
        "picture",
        "video",
        "audio",
        "voice",
        "ptt",
        "file",
        "face",
        "market_face",
        "marketface",
        "sticker",
        "location",
        "poke",
        "dice",
        "rps",
    }
)
_QUOTED_ELEMENTS = frozenset({"reply", "forward", "json", "ark", "share", "xml", "markdown"})
_TEXT_KEYS = ("text", "content", "summary", "title", "desc", "description", "prompt")
_URL_KEY = re.compile(r"url$|^href$|^link$", re.IGNORECASE)
_CARD_TEXT_KEYS = frozenset({"prompt", "title", "desc", "description", "summary", "text"})
_LINE_CHUNK = 64 * 1024  # longest piece fed at once: a one-line avatar table stays out of memory


def _json_lines(path: Path) -> Iterator[bytes]:
    """The file as UTF-8 bytes in pieces of at most one line (BOM dropped). Lines are fed to the
    parser one by one so that every message knows its line; over-long lines come in pieces,
    only the last of which ends with a newline."""
    with path.open("rb") as fh:
        encoding = detect_encoding(fh.read(SNIFF_BYTES))
    if encoding in ("utf-8", "utf-8-sig"):
        with path.open("rb") as raw:
            if raw.read(3) != b"\xef\xbb\xbf":
                raw.seek(0)
            while piece := raw.readline(_LINE_CHUNK):
                yield piece
        return
    with open_text(path, encoding) as text:  # UTF-16, GB18030: re-encoded for ijson
        while chunk := text.readline(_LINE_CHUNK):
            yield chunk.encode("utf-8")


def _first_line(message: str) -> str:
    return message.strip().splitlines()[0] if message.strip() else message


@dataclass(slots=True)
class _HeadInfo:
    """What the first 64 KB of a QCE JSON file say: top-level keys and the small objects."""

    keys: list[str] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    complete: bool = False


_HEAD_VALUES = frozenset({"metadata", "chatInfo", "format", "chunked"})


def _head_info(head: str) -> _HeadInfo:
    info = _HeadInfo()
    builder: ijson.ObjectBuilder | None = None
    key: str | None = None
    try:
        for prefix, event, value in ijson.parse(io.BytesIO(head.encode("utf-8")), use_float=True):
            if prefix == "" and event == "map_key":
                key = value
                info.keys.append(value)
                continue
            if key in _HEAD_VALUES and (prefix == key or prefix.startswith(f"{key}.")):
                if builder is None:
                    builder = ijson.ObjectBuilder()
                builder.event(event, value)
                if prefix == key and event not in ("start_map", "start_array", "map_key"):
                    info.values[key] = builder.value
                    builder = None
        info.complete = True
    except ijson.JSONError:
        pass
    return info


def _epoch_seconds(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and re.fullmatch(r"\d{9,16}(?:\.\d+)?", value.strip()):
        value = float(value)
    if isinstance(value, int | float):
        return value / 1000 if value > 1e11 else float(value)
    return None


def _local_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    m = re.fullmatch(
        r"\s*(\d{4})[-/](\d{1,2})[-/](\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?\s*", value
    )
    if not m:
        return None
    try:
        return datetime(*(int(g or 0) for g in m.groups()))  # type: ignore[arg-type]
    except ValueError:
        return None


def _str(value: Any) -> str:
    """A string field, cleaned; anything else (missing, a number, a list) is no text."""
    return clean_text(value) if isinstance(value, str) else ""


def _flag(value: Any) -> bool:
    return value is True or value == 1 or (isinstance(value, str) and value.lower() == "true")


def _text_of(value: Any) -> str:
    return clean_text(value).strip() if isinstance(value, str) else ""


def _card_parts(value: Any, texts: list[str], urls: list[str], depth: int = 0) -> None:
    """Titles, descriptions and link targets from a QQ ark/JSON card (nested dicts)."""
    if depth > 6:
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, str):
                if _URL_KEY.search(key) and item.startswith(("http://", "https://")):
                    urls.append(item)
                elif key in _CARD_TEXT_KEYS:
                    texts.append(_text_of(item))
            else:
                _card_parts(item, texts, urls, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _card_parts(item, texts, urls, depth + 1)


@dataclass(slots=True)
class _QCEContext:
    path: Path
    chat: str
    tz: tzinfo


def _qce_item(
    obj: Any, ctx: _QCEContext, source: str, location: str, line: int, where: str
) -> Item:
    """One QCE message object → ChatMessage / Skipped / BadRecord (fields read defensively,
    including the older V4 names ``sendNickName`` / ``sendMemberName`` / ``senderUin``)."""
    if not isinstance(obj, dict):
        return BadRecord(
            source, line, f"{where}: expected a message object, got {type(obj).__name__}"
        )
    sender = obj.get("sender")
    if sender is None:
        sender = {}
    if not isinstance(sender, dict):
        return BadRecord(
            source, line, f"{where}: 'sender' is a {type(sender).__name__}, not an object"
        )
    content = obj.get("content")
    if content is None:
        content = {}
    elif isinstance(content, str):
        content = {"text": content}
    if not isinstance(content, dict):
        return BadRecord(
            source, line, f"{where}: 'content' is a {type(content).__name__}, not an object"
        )
    elements = content.get("elements", obj.get("elements")) or []
    resources = content.get("resources") or []
    if not isinstance(elements, list) or not isinstance(resources, list):
        return BadRecord(source, line, f"{where}: 'elements'/'resources' must be arrays")

    kinds = [str(e.get("type", "")).lower() for e in elements if isinstance(e, dict)]
    if (
        _flag(obj.get("system"))
        or _flag(obj.get("recalled"))
        or (kinds and set(kinds) == {"system"})
    ):
        return Skipped("system", location)

    try:
        stamp = _qce_time(obj, ctx.tz)
    except ValueError as exc:
        return BadRecord(source, line, f"{where}: {exc}")
    text, hidden, media = _qce_text(content, elements, resources)
    if text and _RECALL.match(text) and not hidden:
        return Skipped("system", location)
    if not text and not hidden:
        return Skipped("media" if media else "empty", location)
    sender_id, sender_name = _qce_sender(obj, sender)
    message_id = next(
        (str(v) for v in (obj.get("id"), obj.get("msgId"), obj.get("seq")) if v not in (None, "")),
        str(line) if line else where,
    )
    return ChatMessage(
        source_format=QCEJsonReader.name,
        chat=ctx.chat,
        message_id=message_id,
        sender_id=sender_id,
        sender=sender_name,
        timestamp=stamp,
        text=text,
        urls=hidden,
        location=location,
    )


def _qce_time(obj: dict[str, Any], tz: tzinfo) -> str | None:
    """``timestamp`` (ms; seconds in V4's ``msgTime``) first, else the local ``time`` string.
    None when the message has no time at all; ValueError when it has one we cannot read."""
    raw = obj.get("timestamp", obj.get("msgTime"))
    seconds = _epoch_seconds(raw)
    if seconds is not None:
        try:
            return iso_from_epoch(seconds, tz)
        except (OverflowError, OSError, ValueError):
            raise ValueError(f"timestamp {raw!r} is out of range") from None
    local = _local_time(obj.get("time")) or _local_time(raw)
    if local is not None:
        return iso_from_local(local, tz)
    shown = next((v for v in (raw, obj.get("time")) if v not in (None, "")), None)
    if shown is not None:
        raise ValueError(f"cannot read the time {shown!r}")
    return None


def _qce_text(
    content: dict[str, Any], elements: list[Any], resources: list[Any]
) -> tuple[str, list[str], bool]:
    """``(text, hidden urls, has media)``. The text is ``content.text`` (else the text and @
    elements), placeholders removed, followed by what reply / forward / card elements carry;
    the urls are card and link targets that the text does not show."""
    own: list[str] = []
    extra: list[str] = []
    urls: list[str] = []
    media = False
    for element in elements:
        if not isinstance(element, dict):
            continue
        kind = str(element.get("type", "")).lower()
        data = element.get("data")
        if not isinstance(data, dict):
            data = {"text": data} if isinstance(data, str) else {}
        if kind in _MEDIA_ELEMENTS:
            media = True
        elif kind == "text":
            own.append(_str(data.get("text")) or _str(data.get("content")))
        elif kind == "at":
            name = _str(data.get("name"))
            own.append(_str(data.get("text")) or (f"@{name}" if name else ""))
        elif kind in _QUOTED_ELEMENTS:
            _quoted_parts(data, extra, urls)
        elif kind != "system":
            extra.append(_text_of(data.get("text")))
    for resource in resources:
        if not isinstance(resource, dict):
            continue
        rtype = str(resource.get("type", "")).lower()
        link = resource.get("url")
        if rtype in _MEDIA_ELEMENTS or rtype in ("", "unknown"):
            media = True  # a download URL of a picture is not a link anyone shared
        elif isinstance(link, str) and link.startswith(("http://", "https://")):
            urls.append(link)

    whole = _str(content.get("text"))
    main = whole if whole.strip() else "".join(own)
    if main.strip() and not _strip_placeholders(main):
        media = True
    main = _strip_placeholders(main)
    extras = [t for t in _dedupe(extra) if t not in main]
    # A card's prompt is often "[分享]<title>": keep the longer of two overlapping parts.
    extras = [t for t in extras if not any(t != o and t in o for o in extras)]
    text = "\n".join(part for part in [main, *extras] if part).strip()
    return text, [u for u in _dedupe(urls) if u not in text], media


def _qce_sender(obj: dict[str, Any], sender: dict[str, Any]) -> tuple[str, str]:
    """``(id, name)``: the QQ number (``uin``), else the QQNT ``uid``; the display name (group
    card > nickname), with the V4 field names as fallbacks."""
    names = (
        sender.get("name"),
        sender.get("groupCard"),
        sender.get("nickname"),
        sender.get("remark"),
        obj.get("sendMemberName"),
        obj.get("sendNickName"),
    )
    name = next((_str(v).strip() for v in names if _str(v).strip()), "")
    ids = (sender.get("uin"), sender.get("uid"), obj.get("senderUin"), obj.get("senderUid"))
    sender_id = next(
        (str(v).strip() for v in ids if v not in (None, "", "0", 0) and str(v).strip()), name
    )
    return sender_id, name or sender_id


def _quoted_parts(data: dict[str, Any], texts: list[str], urls: list[str]) -> None:
    """Text and links of a reply / forward / JSON-card element: the card payload may be a JSON
    string (QQ ark messages) whose ``prompt``/``title``/``desc`` and ``jumpUrl`` matter."""
    for key in _TEXT_KEYS:
        value = data.get(key)
        if isinstance(value, str) and value.strip():
            if value.lstrip().startswith("{"):
                continue
            texts.append(_text_of(value))
            break
    for key in ("url", "jumpUrl", "qqdocurl", "href", "link"):
        value = data.get(key)
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            urls.append(value)
    for key in ("data", "json", "content", "raw"):
        value = data.get(key)
        if isinstance(value, str) and value.lstrip().startswith("{"):
            try:
                card = orjson.loads(value)
            except orjson.JSONDecodeError:
                continue
            _card_parts(card, texts, urls)
        elif isinstance(value, dict):
            _card_parts(value, texts, urls)


def _is_chunk_line(line: str) -> bool:
    """One line of a QCE chunk (``chunks/chunk_0001.jsonl``): a whole QCE message object."""
    if not line.startswith("{") or '"sender"' not in line or '"content"' not in line:
        return False
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError:
        return False
    return (
        isinstance(obj, dict)
        and isinstance(obj.get("sender"), dict)
        and isinstance(obj.get("content"), dict)
        and "elements" in obj["content"]
        and "timestamp" in obj
        and "metadata" not in obj
        and "messages" not in obj
    )


class QCEJsonReader:
    """QQChatExporter JSON: single file, chunked-JSONL manifest, or one chunk file."""

    name = "qq-chat-exporter-json"
    description = "QQChatExporter (QCE, QQNT) JSON: single file, chunked manifest.json, or a chunk"
    detection = (
        '"QQChatExporter" in the first KB and "chatInfo" in a JSON object '
        '(a manifest adds "format": "chunked-jsonl"); a chunk: JSONL lines of QCE messages'
    )

    def sniff(self, head: str, path: Path) -> bool:
        body = head.lstrip()
        if not body.startswith("{"):
            return False
        if '"QQChatExporter"' in body[:2048] and '"chatInfo"' in body:
            return True
        first = body.split("\n", 1)
        return len(first) == 2 and _is_chunk_line(first[0].strip())

    def read(self, path: Path, options: ReadOptions) -> Iterator[Item]:
        head, _ = decode_head(path)
        first = head.lstrip().split("\n", 1)
        if len(first) == 2 and _is_chunk_line(first[0].strip()):
            chat = options.chat or self._chat_beside(path) or path.stem
            return self._read_chunk(path, _QCEContext(path, chat, options.tz()))
        info = _head_info(head)
        chat_info = info.values.get("chatInfo")
        found = chat_info.get("name") if isinstance(chat_info, dict) else None
        ctx = _QCEContext(
            path, _chat_name(options, found if isinstance(found, str) else None, path), options.tz()
        )
        if info.values.get("format") == "chunked-jsonl":
            return self._read_manifest(path, ctx)
        if info.complete and "messages" not in info.keys:
            raise InputError(
                f"{path}: a QQChatExporter JSON without a 'messages' array "
                f"(top-level keys: {', '.join(info.keys) or 'none'})"
            )
        return self._read_single(path, ctx)

    @staticmethod
    def _chat_beside(path: Path) -> str | None:
        """The chat name from the manifest next to a chunk directory, when it is there."""
        manifest = path.parent.parent / "manifest.json"
        if not manifest.is_file():
            return None
        try:
            chat_info = _head_info(decode_head(manifest)[0]).values.get("chatInfo")
        except InputError:
            return None
        name = chat_info.get("name") if isinstance(chat_info, dict) else None
        return name if isinstance(name, str) and name else None

    def _read_single(self, path: Path, ctx: _QCEContext) -> Iterator[Item]:
        """Stream ``messages.item`` with ijson's push parser, fed line by line. A message's
        line is the first line opening an object (``{``) since the previous message ended —
        exact for QCE's pretty-printed array, line 1 for a minified file."""
        done = ijson.sendable_list()
        parser = ijson.items_coro(done, "messages.item", use_float=True)
        with path.open("rb") as fh:
            fed = 3 if fh.read(3) == b"\xef\xbb\xbf" else 0  # bytes of the file before a line
        line, count = 1, 0
        start: int | None = None
        at_line_start, in_messages = True, False
        try:
            for piece in _json_lines(path):
                if at_line_start:
                    lead = piece.lstrip()
                    if lead.startswith(b'"messages"'):
                        in_messages = True
                        start = None  # the array opens here; its first object comes next
                    elif start is None and lead.startswith(b"{"):
                        start = line
                parser.send(piece)
                fed += len(piece)
                for obj in done:
                    count += 1
                    first = start or line
                    where = f"message {count}"
                    yield _qce_item(obj, ctx, str(path), f"{path.name}:{first}", first, where)
                    start = None
                del done[:]
                at_line_start = piece.endswith(b"\n")
                if at_line_start:
                    line += 1
            parser.close()
            for obj in done:  # a value completed by the end of input
                count += 1
                yield _qce_item(
                    obj, ctx, str(path), f"{path.name}:{line}", line, f"message {count}"
                )
        except ijson.JSONError as exc:
            problem = _first_line(str(exc))
            where = (
                f"the JSON ends unexpectedly at line {line} (byte {fed})"
                if "premature EOF" in problem
                else f"invalid JSON in line {line}, which starts at byte {fed} ({problem})"
            )
            expected = (
                "the rest of the 'messages' array and the closing '}' of a QQChatExporter JSON"
                if in_messages or count
                else "a QQChatExporter JSON object: metadata, chatInfo, then a 'messages' array"
            )
            raise InputError(
                f"{path}: {where}; expected {expected}. Messages read before it: {count}."
            ) from exc

    def _read_manifest(self, path: Path, ctx: _QCEContext) -> Iterator[Item]:
        found = ijson.sendable_list()
        parser = ijson.items_coro(found, "chunked", use_float=True)
        pieces = _json_lines(path)
        try:
            for piece in pieces:
                parser.send(piece)
                if found:
                    break
            else:
                parser.close()
        except ijson.JSONError as exc:
            raise InputError(f"{path}: invalid manifest JSON ({_first_line(str(exc))})") from exc
        finally:
            pieces.close()
        chunked = found[0] if found else None
        if not isinstance(chunked, dict):
            raise InputError(f"{path}: chunked-jsonl manifest without a 'chunked' object")
        folder = path.parent / str(chunked.get("chunksDir") or "chunks")
        ext = str(chunked.get("chunkFileExt") or ".jsonl")
        names: list[str] = []
        for entry in chunked.get("chunks") or []:
            if isinstance(entry, str):
                names.append(entry)
            elif isinstance(entry, dict):
                for key in ("fileName", "filename", "file", "name", "path", "relativePath"):
                    if isinstance(entry.get(key), str) and entry[key]:
                        names.append(entry[key])
                        break
        if not names:
            if not folder.is_dir():
                raise InputError(f"{path}: the chunk folder {folder} does not exist")
            names = sorted(p.name for p in folder.glob(f"*{ext}"))
        for index, name in enumerate(names, 1):
            chunk = next(
                (p for p in (folder / name, path.parent / name) if p.is_file()),
                None,
            )
            if chunk is None:
                yield BadRecord(str(path), 0, f"chunk {index} '{name}' is missing from {folder}")
                continue
            yield from self._read_chunk(chunk, ctx)

    @staticmethod
    def _read_chunk(path: Path, ctx: _QCEContext) -> Iterator[Item]:
        with open_text(path) as fh:
            for lineno, line in enumerate(fh, 1):
                line = line.strip()
                if not line:
                    continue
                try:
                    obj = orjson.loads(line)
                except orjson.JSONDecodeError as exc:
                    yield BadRecord(
                        str(path), lineno, f"not valid JSON ({exc}); expected a message"
                    )
                    continue
                yield _qce_item(obj, ctx, str(path), f"{path.name}:{lineno}", lineno, "message")


# --- QQChatExporter TXT -------------------------------------------------------------------------

_QCE_BANNER = "[QQChatExporter"
_QCE_TIME = re.compile(r"^时间\s*[:：]\s*(\d{4}-\d{1,2}-\d{1,2}[ T]\d{1,2}:\d{2}(?::\d{2})?)\s*$")
_QCE_CONTENT = re.compile(r"^内容\s*[:：]\s?(.*)$")
_QCE_CHAT = re.compile(r"^聊天名称\s*[:：]\s*(.+)$")
_BOX = "│┃║|┆┊ \t"
_QCE_TITLE = re.compile(r"^\[[^\]\n]*\]\s*")
_QCE_SYSTEM = re.compile(r"^\[(?:系统消息|系统提示)\]")


class _QCETxtParser:
    """Messages are ``name:`` / ``时间: …`` / ``内容: …`` triples; a body ends where the next
    triple begins, so bodies may hold blank lines. The triple is recognised when its ``内容``
    line arrives, looking back two lines — a body line "xx:" followed by "时间: …" alone is
    text, not a new message."""

    def __init__(self, path: Path, options: ReadOptions) -> None:
        self.path = path
        self.tz = options.tz()
        self.chat = options.chat
        self.cur: _Pending | None = None
        self.recent: list[tuple[int, str]] = []  # the last two lines

    def run(self) -> Iterator[Item]:
        with open_text(self.path) as fh:
            for lineno, raw in enumerate(fh, 1):
                line = _clean(raw.rstrip("\r\n")).rstrip()
                yield from self._feed(lineno, line)
                self.recent = [*self.recent[-1:], (lineno, line)]
        yield from self._close()

    def _feed(self, lineno: int, line: str) -> Iterator[Item]:
        content = _QCE_CONTENT.match(line)
        if content and len(self.recent) == 2:
            (name_line, name), (_, when_text) = self.recent
            when = _QCE_TIME.match(when_text)
            stamp = _local_time(when.group(1)) if when else None
            if stamp is not None and name.endswith((":", "：")) and name[:-1].strip():
                if self.cur is not None:
                    del self.cur.body[-2:]
                yield from self._close()
                sender = _QCE_TITLE.sub("", name[:-1].strip()) or name[:-1].strip()
                self.cur = _Pending(
                    name_line,
                    sender,
                    sender,
                    iso_from_local(stamp, self.tz),
                    None,
                    [content.group(1)],
                )
                return
        if self.cur is not None:
            self.cur.body.append(line)
        elif self.chat is None:
            m = _QCE_CHAT.match(line.strip(_BOX))
            if m:
                self.chat = m.group(1).strip(_BOX)

    def _close(self) -> Iterator[Item]:
        cur, self.cur = self.cur, None
        if cur is None:
            return
        location = f"{self.path.name}:{cur.line}"
        text = "\n".join(cur.body).strip()
        kind = "system" if _QCE_SYSTEM.match(text) else _classify_body(text)
        if kind:
            yield Skipped(kind, location)
            return
        yield ChatMessage(
            source_format=QCETxtReader.name,
            chat=self.chat or self.path.stem,
            message_id=str(cur.line),
            sender_id=cur.sender_id,
            sender=cur.sender,
            timestamp=cur.timestamp,
            text=_strip_placeholders(text),
            urls=[],
            location=location,
        )


class QCETxtReader:
    """QQChatExporter plain-text export."""

    name = "qq-chat-exporter-txt"
    description = "QQChatExporter (QCE, QQNT) TXT export: name / 时间 / 内容 blocks"
    detection = "first line starts with [QQChatExporter"

    def sniff(self, head: str, path: Path) -> bool:
        return head.lstrip().startswith(_QCE_BANNER)

    def read(self, path: Path, options: ReadOptions) -> Iterator[Item]:
        return _QCETxtParser(path, options).run()


READERS = [QQTxtReader(), QCEJsonReader(), QCETxtReader()]

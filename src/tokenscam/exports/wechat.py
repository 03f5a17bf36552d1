"""WeChat chat exports: MemoTrace (WeChatMsg) CSV and TXT, PyWxDump CSV and chatlog CSV.

WeChat has no export of its own; moderators get files from open-source tools that decrypt the PC
database. Each tool writes its own layout (see ``docs/chat-export-formats.md`` §2), so there is
one reader per layout. They share the WeChat message-type codes, the media placeholders and the
local-time parsing defined here.

Every reader streams (``csv.reader`` over the decoded file, or line by line) and yields one item
per entry: a :class:`ChatMessage` for text, :class:`Skipped` for media and system entries and
:class:`BadRecord` for a malformed row, so that ``read = scored + skipped + bad`` holds.
"""

from __future__ import annotations

import csv
import html
import json
import logging
import re
from collections.abc import Iterator
from datetime import datetime, tzinfo
from pathlib import Path
from typing import IO, Any

from ..errors import BadRecord, InputError
from .base import (
    ChatMessage,
    CsvRecords,
    Item,
    ReadOptions,
    Skipped,
    clean_text,
    csv_records,
    decode_head,
    iso_from_epoch,
    iso_from_local,
    open_text,
)

__all__ = [
    "MemoTraceCsvReader",
    "MemoTraceTxtReader",
    "PyWxDumpCsvReader",
    "ChatlogCsvReader",
    "READERS",
]

log = logging.getLogger(__name__)

SELF = "我"  # what every WeChat exporter calls the account that made the export

# --- shared helpers -----------------------------------------------------------------------------

# Placeholders the exporters write instead of media. WeChat's own emoji codes ([旺柴], [微笑]) are
# text and must not be in this set.
_MEDIA_LABELS = frozenset(
    {
        "图片",
        "语音",
        "视频",
        "表情",
        "表情包",
        "动画表情",
        "文件",
        "音乐分享",
        "音乐",
        "位置",
        "名片",
        "语音通话",
        "视频通话",
        "通话",
        "小程序",
        "转账",
        "红包",
        "合并转发",
        "聊天记录",
        "视频号",
        "直播",
        "拍一拍",
    }
)

# `[图片]`, `[文件|a.pdf]`, `![图片](http://…)`, `[语音](http://…)`: a media token when the label
# (before any `|`) is a known media word.
_MEDIA_TOKEN = re.compile(r"!?\[([^\[\]\n|]{1,12})(?:\|[^\[\]\n]*)?\](?:\([^()\s]*\))?")

_LOCAL_TIME = re.compile(
    r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?$"
)


def _strip_media(text: str) -> tuple[str, bool]:
    """``(text without media placeholders, whether any was found)``."""
    found = False

    def repl(m: re.Match[str]) -> str:
        nonlocal found
        if m.group(1).strip() in _MEDIA_LABELS:
            found = True
            return ""
        return m.group(0)

    return _MEDIA_TOKEN.sub(repl, text).strip(), found


def _parse_local(value: str) -> datetime | None:
    """A wall-clock time as the exporters (and Excel re-saves) write it: ``2024-05-01 09:30:00``,
    ``2024/5/1 9:30``; an ISO string with an offset is returned aware."""
    value = value.strip()
    if not value:
        return None
    m = _LOCAL_TIME.match(value)
    if m:
        y, mo, d, h, mi, s = (int(g) if g else 0 for g in m.groups())
        try:
            return datetime(y, mo, d, h, mi, s)
        except ValueError:
            return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _parse_epoch(value: str) -> float | None:
    """Epoch seconds (milliseconds are recognised by their size)."""
    value = value.strip()
    if not re.fullmatch(r"\d{9,14}(?:\.\d+)?", value):
        return None
    seconds = float(value)
    return seconds / 1000 if seconds > 1e11 else seconds


def _time_iso(value: str, tz: tzinfo) -> str | None:
    """Epoch or local time string → ISO 8601 with offset; None when it is neither."""
    epoch = _parse_epoch(value)
    if epoch is not None:
        return iso_from_epoch(epoch, tz)
    dt = _parse_local(value)
    return iso_from_local(dt, tz) if dt is not None else None


def _truthy(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "是", "yes"}


def _first_line_fields(head: str) -> list[str]:
    """The header row of a CSV head, names cleaned; ``[]`` when it is not parseable."""
    first = head.lstrip("\ufeff").split("\n", 1)[0]
    try:
        row = next(csv.reader([first]))
    except (csv.Error, StopIteration):
        return []
    return [clean_text(f).strip() for f in row]


def _open(path: Path) -> IO[str]:
    """The export decoded (BOM → UTF-8 → GB18030); missing, empty and binary files raise
    InputError here, before any row is read."""
    _, encoding = decode_head(path)
    return open_text(path, encoding)


_Rows = CsvRecords
_csv_rows = csv_records


def _read_header(path: Path, rows: _Rows, expected: str) -> list[str]:
    """The cleaned header row; InputError when the file has none. ``rows`` is then positioned on
    the first data record (one csv reader for the whole file, so line numbers stay right)."""
    for line, row, error in rows:
        if row is None:
            raise InputError(f"{path}:{line}: cannot read the CSV header ({error})")
        return [f.strip() for f in row]
    raise InputError(f"{path}: no header row, expected {expected}")


def _link_title(xml: str, tag: str) -> str:
    """The first ``<tag>…</tag>`` of an appmsg XML, CDATA and entities undone."""
    m = re.search(rf"<{tag}>(.*?)</{tag}>", xml, re.DOTALL)
    if not m:
        return ""
    value = m.group(1).strip()
    if value.startswith("<![CDATA[") and value.endswith("]]>"):
        value = value[9:-3]
    return html.unescape(value).strip()


# --- MemoTrace / WeChatMsg CSV ------------------------------------------------------------------

_MEMO_COLUMNS = (
    "localId",
    "TalkerId",
    "Type",
    "SubType",
    "IsSender",
    "CreateTime",
    "Status",
    "StrContent",
    "StrTime",
    "Remark",
    "NickName",
    "Sender",
)
_MEMO_OLD = ("用户名", "消息内容", "发送时间")
_MEMO_HEADER_TEXT = ",".join(_MEMO_COLUMNS)

_SYSTEM_TYPES = frozenset({10000, 10002})
# Type-49 sub-types that carry no readable text: file, GIF, transfer, red packet.
_APPMSG_MEDIA = frozenset({6, 8, 2000, 2001})
_TEXT_LABELS = frozenset({"文本", "文本消息", "引用回复", "引用消息"})
_SYSTEM_LABELS = frozenset({"系统通知", "系统消息"})


def _appmsg(content: str, subtype: int | None) -> tuple[str, list[str]] | None:
    """Text and hidden links of a type-49 entry; None when it has none to score.

    The CSV carries the raw ``StrContent``: plain text, empty (the payload was in
    ``CompressContent``) or appmsg XML. For XML the card title (for a quote: the reply itself,
    the quoted message being in ``<refermsg>``) and description are the text, ``<url>`` the link.
    """
    content = content.strip()
    if not content:
        return None
    start = content.find("<")
    if start < 0 or ("<msg" not in content and "<appmsg" not in content):
        return content, []
    if subtype in _APPMSG_MEDIA:
        return None
    xml = content[start:]
    title = _link_title(xml, "title")
    des = _link_title(xml, "des")
    url = _link_title(xml, "url")
    if not title and not des:
        return None
    text = title if not des or des == title else f"{title}\n{des}"
    return text, [url] if url.startswith(("http://", "https://", "www.")) else []


class MemoTraceCsvReader:
    """MemoTrace / WeChatMsg (留痕) CSV, per contact or "all chats", and the pre-2024 pandas CSV."""

    name = "memotrace-csv"
    description = (
        "WeChat export by MemoTrace/WeChatMsg 留痕 (CSV; 12-column and old Chinese header)"
    )
    detection = (
        "first line starts 'localId,TalkerId,Type,SubType,IsSender', "
        "or contains '用户名,消息内容,发送时间'"
    )

    def sniff(self, head: str, path: Path) -> bool:
        fields = _first_line_fields(head)
        if tuple(fields[:5]) == _MEMO_COLUMNS[:5]:
            return True
        return len(fields) >= 5 and _contains_run(fields, _MEMO_OLD)

    def read(self, path: Path, options: ReadOptions) -> Iterator[Item]:
        tz = options.tz()
        with _open(path) as fh:
            rows = _csv_rows(fh)
            header = _read_header(path, rows, f"'{_MEMO_HEADER_TEXT}'")
            if tuple(header[:5]) == _MEMO_COLUMNS[:5]:
                all_chats = _memo_all_chats(path)
                yield from self._read_new(path, rows, header, all_chats, tz, options)
            elif _contains_run(header, _MEMO_OLD):
                yield from self._read_old(path, rows, header, tz, options)
            else:
                raise InputError(
                    f"{path}:1: not a MemoTrace CSV: expected the header '{_MEMO_HEADER_TEXT}' "
                    f"or ',用户名,消息内容,发送时间,…', found '{','.join(header)[:120]}'"
                )

    def _read_new(
        self,
        path: Path,
        rows: _Rows,
        header: list[str],
        all_chats: bool,
        tz: tzinfo,
        options: ReadOptions,
    ) -> Iterator[Item]:
        col = {name: i for i, name in enumerate(header)}
        missing = [c for c in _MEMO_COLUMNS[:9] if c not in col]
        if missing:
            raise InputError(f"{path}:1: MemoTrace CSV header lacks {', '.join(missing)}")
        width = len(header)
        stem_chat = options.chat or re.sub(r"_utf8$", "", path.stem)
        for line, row, error in rows:
            where = f"{path.name}:{line}"
            if row is None:
                yield BadRecord(str(path), line, error)
                continue
            # 2024-02-08…02-27 versions wrote 9 values for private chats under the 12-name header.
            if len(row) != width and len(row) != 9:
                yield BadRecord(
                    str(path),
                    line,
                    f"has {len(row)} fields, expected {width} ({_MEMO_HEADER_TEXT}) "
                    "or 9 (2024-02 private chats)",
                )
                continue

            def get(name: str, row: list[str] = row) -> str:
                i = col.get(name)
                return row[i].strip() if i is not None and i < len(row) else ""

            try:
                mtype = int(get("Type"))
            except ValueError:
                yield BadRecord(
                    str(path), line, f"Type {get('Type')!r} is not a WeChat message type number"
                )
                continue
            timestamp = _time_iso(get("CreateTime"), tz)
            if timestamp is None:
                timestamp = _time_iso(get("StrTime"), tz)
                if timestamp is None and (get("CreateTime") or get("StrTime")):
                    yield BadRecord(
                        str(path),
                        line,
                        f"CreateTime {get('CreateTime')!r} is not an epoch time and StrTime "
                        f"{get('StrTime')!r} is not 'YYYY-MM-DD HH:MM:SS'",
                    )
                    continue
            if mtype in _SYSTEM_TYPES:
                yield Skipped("system", where)
                continue
            content = get("StrContent")
            urls: list[str] = []
            if mtype == 1:
                text = content
            elif mtype == 49:
                sub = get("SubType")
                card = _appmsg(content, int(sub) if sub.isdigit() else None)
                if card is None:
                    yield Skipped("media", where)
                    continue
                text, urls = card
            else:
                yield Skipped("media", where)
                continue
            text = text.strip()
            if not text:
                yield Skipped("empty", where)
                continue
            is_self = _truthy(get("IsSender"))
            remark, nick, sender_col = get("Remark"), get("NickName"), get("Sender")
            if all_chats:
                # Remark/NickName name the conversation; Sender is the member's display name.
                chat = options.chat or remark or nick or f"TalkerId {get('TalkerId')}"
                sender = sender_col or (SELF if is_self else remark or nick) or chat
                sender_id = sender
            else:
                # Remark/NickName/Sender describe whoever sent the row (absent in 9-value rows).
                chat = stem_chat
                if is_self and not (remark or nick or sender_col):
                    sender = sender_id = SELF
                else:
                    sender = remark or nick or sender_col or chat
                    sender_id = sender_col or sender
            yield ChatMessage(
                source_format=self.name,
                chat=chat,
                message_id=get("localId") or str(line),
                sender_id=sender_id,
                sender=sender,
                timestamp=timestamp,
                text=text,
                urls=urls,
                location=where,
            )

    def _read_old(
        self, path: Path, rows: _Rows, header: list[str], tz: tzinfo, options: ReadOptions
    ) -> Iterator[Item]:
        """The pandas CSV of pre-2024 versions: unnamed index, 用户名 (the contact), 消息内容,
        发送时间, 发送状态, 消息类型 (type code), isSend, msgId."""
        col = {name: i for i, name in enumerate(header)}
        width = len(header)
        chat = options.chat or path.stem
        for line, row, error in rows:
            where = f"{path.name}:{line}"
            if row is None:
                yield BadRecord(str(path), line, error)
                continue
            if len(row) != width:
                yield BadRecord(str(path), line, f"has {len(row)} fields, the header has {width}")
                continue

            def get(name: str, row: list[str] = row) -> str:
                i = col.get(name)
                return row[i].strip() if i is not None else ""

            raw_time = get("发送时间")
            timestamp = _time_iso(raw_time, tz)
            if timestamp is None and raw_time:
                yield BadRecord(
                    str(path), line, f"发送时间 {raw_time!r} is not 'YYYY-MM-DD HH:MM:SS'"
                )
                continue
            kind = get("消息类型")
            if kind.isdigit():
                code = int(kind)
                if code in _SYSTEM_TYPES:
                    yield Skipped("system", where)
                    continue
                if code not in (1, 49):
                    yield Skipped("media", where)
                    continue
            elif kind in _SYSTEM_LABELS:
                yield Skipped("system", where)
                continue
            elif kind and kind not in _TEXT_LABELS:
                yield Skipped("media", where)
                continue
            text = get("消息内容")
            urls: list[str] = []
            if kind == "49":
                card = _appmsg(text, None)
                if card is None:
                    yield Skipped("media", where)
                    continue
                text, urls = card
            if not text.strip():
                yield Skipped("empty", where)
                continue
            if _truthy(get("isSend")):
                sender = sender_id = SELF
            else:
                sender = sender_id = get("用户名") or chat
            yield ChatMessage(
                source_format=self.name,
                chat=chat,
                message_id=get("msgId") or str(line),
                sender_id=sender_id,
                sender=sender,
                timestamp=timestamp,
                text=text.strip(),
                urls=urls,
                location=where,
            )


def _contains_run(fields: list[str], run: tuple[str, ...]) -> bool:
    """Whether ``run`` appears as consecutive names in ``fields``."""
    n = len(run)
    return any(tuple(fields[i : i + n]) == run for i in range(len(fields) - n + 1))


def _memo_all_chats(path: Path, limit: int = 500) -> bool:
    """Whether a 12-column MemoTrace CSV is the "all chats" export, from its first rows.

    The two exports share the header but not the meaning of ``Remark``/``NickName``/``Sender``.
    Only the "all chats" file mixes conversations (several ``TalkerId``) or writes ``我`` as
    ``Sender`` (the per-contact file writes the user's wxid). Reads at most ``limit`` rows.
    """
    talkers: set[str] = set()
    with _open(path) as fh:
        rows = _csv_rows(fh)
        next(rows, None)  # header
        for n, (_, row, _err) in enumerate(rows):
            if n >= limit:
                break
            if row is None or len(row) < 2:
                continue
            talkers.add(row[1].strip())
            if len(row) >= 12 and row[11].strip() == SELF:
                return True
            if len(talkers) > 1:
                return True
    return False


# --- MemoTrace TXT ------------------------------------------------------------------------------

_TXT_HEADER = re.compile(r"^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}) (\S.*)$")
# QQ's message manager writes the same time, then `nick(QQ number)` or `nick<email>`.
_QQ_SUFFIX = re.compile(r"(?:\(\d{5,}\)|（\d{5,}）|<[^<>\s]+>)\s*$")
_QUOTE_LINE = re.compile(r"^\s*引用[:：]")
_CARD_KEYS = re.compile(r"(?:^|(?<=\s))(title|description|url|name)[:：]")


def _card_block(lines: list[str]) -> tuple[str, list[str]] | None:
    """A MemoTrace TXT link card (``[链接]:title:… description:… url:… name:…``, one line or
    indented lines): title and description are text, the url a hidden link."""
    i = next((n for n, line in enumerate(lines) if line.strip().startswith("[链接]")), -1)
    if i < 0:
        return None
    block = "\n".join(s.strip() for s in lines[i:])
    block = block[len("[链接]") :].lstrip(":： ")
    parts = _CARD_KEYS.split(block)
    fields: dict[str, str] = {}
    for key, value in zip(parts[1::2], parts[2::2], strict=False):
        fields.setdefault(key, value.strip())
    if not fields and block:
        fields["title"] = block.strip()
    keep = [ln for ln in lines[:i] if ln.strip()]
    for key in ("title", "description"):
        value = fields.get(key, "")
        if value and value != "None" and value not in keep:
            keep.append(value)
    url = fields.get("url", "")
    return "\n".join(keep), [url] if url.startswith(("http://", "https://", "www.")) else []


class MemoTraceTxtReader:
    """MemoTrace / WeChatMsg TXT: ``YYYY-MM-DD HH:MM:SS name`` blocks separated by blank lines."""

    name = "memotrace-txt"
    description = (
        "WeChat export by MemoTrace/WeChatMsg 留痕 (TXT blocks: time name / content / blank)"
    )
    detection = (
        "first non-blank line is 'YYYY-MM-DD HH:MM:SS name' with no '(QQ number)' or '<email>' "
        "suffix, most header lines likewise"
    )

    def sniff(self, head: str, path: Path) -> bool:
        lines = head.split("\n")
        first = next((ln for ln in lines if ln.strip()), "")
        m = _TXT_HEADER.match(first.strip())
        if not m or _QQ_SUFFIX.search(m.group(2)):
            return False
        plain = qq = 0
        for line in lines[:2000]:
            m = _TXT_HEADER.match(line)
            if m:
                if _QQ_SUFFIX.search(m.group(2)):
                    qq += 1
                else:
                    plain += 1
        return plain > qq

    def read(self, path: Path, options: ReadOptions) -> Iterator[Item]:
        tz = options.tz()
        chat = options.chat or path.stem
        header: tuple[int, datetime, str] | None = None
        content: list[str] = []
        stray_line = 0  # first line of text seen before any header
        has_content = False
        last: datetime | None = None
        prev_blank = True
        with _open(path) as fh:
            for lineno, raw in enumerate(fh, 1):
                line = clean_text(raw.rstrip("\n").rstrip("\r"))
                m = _TXT_HEADER.match(line)
                # A content line can look like a header: accept one only after a blank line (or
                # right after a header with no content, i.e. a system line) and when time does not
                # go backwards (the exporter writes messages in time order).
                if m and (header is None or prev_blank or not has_content):
                    when = _parse_local(m.group(1))
                    if when is not None and (last is None or when >= last):
                        if header is not None:
                            yield self._block(path, chat, header, content, tz)
                        elif stray_line:
                            yield BadRecord(
                                str(path),
                                stray_line,
                                "text before the first message header "
                                "(expected 'YYYY-MM-DD HH:MM:SS name')",
                            )
                            stray_line = 0
                        header, content, last = (lineno, when, m.group(2)), [], when
                        prev_blank = has_content = False
                        continue
                if header is None:
                    if line.strip() and not stray_line:
                        stray_line = lineno
                else:
                    content.append(line)
                    has_content = has_content or bool(line.strip())
                prev_blank = not line.strip()
        if header is not None:
            yield self._block(path, chat, header, content, tz)
        elif stray_line:
            raise InputError(
                f"{path}:{stray_line}: no MemoTrace message header "
                "('YYYY-MM-DD HH:MM:SS name') in the file"
            )

    def _block(
        self,
        path: Path,
        chat: str,
        header: tuple[int, datetime, str],
        content: list[str],
        tz: tzinfo,
    ) -> Item:
        line, when, rest = header
        where = f"{path.name}:{line}"
        while content and not content[-1].strip():
            content.pop()
        while content and not content[0].strip():
            content.pop(0)
        if not content:
            return Skipped("system", where)  # system lines carry no name and no content
        urls: list[str] = []
        card = _card_block(content)
        if card is not None:
            text, urls = card
        else:
            quote = next((i for i, ln in enumerate(content) if _QUOTE_LINE.match(ln)), 0)
            # A reply: keep the sender's own words; the quoted message is someone else's.
            text = "\n".join(content[:quote] if quote else content)
        text, had_media = _strip_media(text)
        if not text:
            return Skipped("media" if had_media else "empty", where)
        name = rest.strip()
        return ChatMessage(
            source_format=self.name,
            chat=chat,
            message_id=str(line),
            sender_id=name,
            sender=name,
            timestamp=iso_from_local(when, tz),
            text=text,
            urls=urls,
            location=where,
        )


# --- PyWxDump CSV -------------------------------------------------------------------------------

_PYWX_PREFIX = ("id", "MsgSvrID", "type_name", "is_sender", "talker", "room_name")
_PYWX_NEW = (*_PYWX_PREFIX, "msg", "src", "CreateTime")
_PYWX_OLD = (*_PYWX_PREFIX, "content", "CreateTime")
_HREF = re.compile(r"<a\s[^>]*?href=[\"']?([^\"'\s>]+)[\"']?[^>]*>.*?</a>", re.DOTALL)
_PYWX_QUOTE = re.compile(r"\n*\[引用\]\(.*$", re.DOTALL)
_NAME_KEYS = ("remark", "nickname", "nick_name", "displayname", "display_name", "name", "alias")
_ID_KEYS = ("wxid", "username", "user_name", "usrname", "id")


def _user_name(entry: Any) -> str:
    if isinstance(entry, str):
        return entry.strip()
    if not isinstance(entry, dict):
        return ""
    lower = {str(k).lower(): v for k, v in entry.items()}
    for key in _NAME_KEYS:
        value = lower.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def _load_users(csv_path: Path) -> dict[str, str]:
    """wxid → display name from the ``users.json`` PyWxDump writes beside its CSVs.

    Its keys were never pinned down (``{wxid: {nickname, remark, …}}`` in the versions seen, key
    case varying), so any dict or list of user dicts is accepted and the remark is preferred, then
    the nickname. A missing or unreadable file only means wxids stay wxids.
    """
    users_path = csv_path.with_name("users.json")
    if not users_path.is_file():
        return {}
    try:
        with users_path.open(encoding="utf-8-sig") as fh:
            data = json.load(fh)
    except (OSError, ValueError) as exc:
        log.warning("%s: ignored, not readable JSON (%s); senders stay wxids", users_path, exc)
        return {}
    if isinstance(data, dict):
        for wrapper in ("users", "user_list", "data"):
            if isinstance(data.get(wrapper), dict | list) and len(data) <= 3:
                data = data[wrapper]
                break
    pairs: list[tuple[str, Any]] = []
    if isinstance(data, dict):
        pairs = [(str(k), v) for k, v in data.items()]
    elif isinstance(data, list):
        for entry in data:
            if isinstance(entry, dict):
                lower = {str(k).lower(): v for k, v in entry.items()}
                key = next((str(lower[k]) for k in _ID_KEYS if lower.get(k)), "")
                if key:
                    pairs.append((key, entry))
    names: dict[str, str] = {}
    for key, entry in pairs:
        name = _user_name(entry)
        if not name:
            continue
        names[key] = name
        if isinstance(entry, dict):
            lower = {str(k).lower(): v for k, v in entry.items()}
            wxid = lower.get("wxid") or lower.get("username")
            if isinstance(wxid, str) and wxid:
                names.setdefault(wxid, name)
    return names


class PyWxDumpCsvReader:
    """PyWxDump CSV (``msg,src`` columns, and the older JSON-in-``content`` column)."""

    name = "pywxdump-csv"
    description = "WeChat export by PyWxDump (CSV; users.json beside it names the wxids)"
    detection = "first line starts 'id,MsgSvrID,type_name,is_sender,talker,room_name'"

    def sniff(self, head: str, path: Path) -> bool:
        return tuple(_first_line_fields(head)[:6]) == _PYWX_PREFIX

    def read(self, path: Path, options: ReadOptions) -> Iterator[Item]:
        tz = options.tz()
        with _open(path) as fh:
            rows = _csv_rows(fh)
            header = _read_header(path, rows, f"'{','.join(_PYWX_NEW)}'")
            if tuple(header) == _PYWX_NEW:
                old = False
            elif tuple(header) == _PYWX_OLD:
                old = True
            else:
                raise InputError(
                    f"{path}:1: not a PyWxDump CSV: expected the header '{','.join(_PYWX_NEW)}' "
                    f"or '{','.join(_PYWX_OLD)}', found '{','.join(header)[:120]}'"
                )
            users = _load_users(path)
            for line, row, error in rows:
                if row is None:
                    yield BadRecord(str(path), line, error)
                    continue
                yield self._row(path, line, row, old, users, tz, options)

    def _row(
        self,
        path: Path,
        line: int,
        row: list[str],
        old: bool,
        users: dict[str, str],
        tz: tzinfo,
        options: ReadOptions,
    ) -> Item:
        where = f"{path.name}:{line}"
        width = len(_PYWX_OLD if old else _PYWX_NEW)
        if old and len(row) > width and _parse_local(row[-1]) is not None:
            # Before 2024-01-09 rows were joined by hand without quoting: commas in the content
            # split it. The content is the only free text, so the extra fields are put back.
            row = [*row[:6], ",".join(row[6:-1]), row[-1]]
        if len(row) != width:
            header = ",".join(_PYWX_OLD if old else _PYWX_NEW)
            return BadRecord(str(path), line, f"has {len(row)} fields, expected {width} ({header})")
        _id, svr_id, type_name, is_sender, talker, room = (f.strip() for f in row[:6])
        raw_time = row[-1].strip()
        timestamp = _time_iso(raw_time, tz)
        if timestamp is None and raw_time:
            return BadRecord(
                str(path),
                line,
                f"CreateTime {raw_time!r} is not a time ('YYYY-MM-DD HH:MM:SS' or 'YYYY/M/D H:MM')",
            )
        if old:
            content = row[6]
            msg, src = content, ""
            if content.lstrip().startswith("{"):
                try:
                    parsed = json.loads(content)
                except ValueError as exc:
                    return BadRecord(
                        str(path), line, f"content is not the JSON {{'src','msg'}} ({exc})"
                    )
                if not isinstance(parsed, dict):
                    return BadRecord(str(path), line, "content is not a JSON object")
                msg = parsed.get("msg") or ""
                msg = msg if isinstance(msg, str) else json.dumps(msg, ensure_ascii=False)
                src = str(parsed.get("src") or "")
        else:
            msg, src = row[6], row[7]
        if type_name in _SYSTEM_LABELS:
            return Skipped("system", where)
        is_link = "链接" in type_name
        if type_name not in _TEXT_LABELS and not is_link:
            return Skipped("media", where)
        urls = _HREF.findall(msg)
        text = _HREF.sub("", msg)
        if type_name.startswith("引用"):
            # `reply\n\n[引用](time)name:quoted`: keep the sender's own words only.
            text = _PYWX_QUOTE.sub("", text)
        if is_link and src.strip().startswith(("http://", "https://")) and src not in urls:
            urls.append(src.strip())
        text = clean_text(text).strip()
        if not text:
            return Skipped("empty", where)
        if _truthy(is_sender) and (not talker or talker == SELF):
            sender_id = SELF
        else:
            sender_id = talker or room or SELF
        return ChatMessage(
            source_format=self.name,
            chat=options.chat or users.get(room, room) or path.stem,
            message_id=svr_id or _id or str(line),
            sender_id=sender_id,
            sender=users.get(sender_id, sender_id),
            timestamp=timestamp,
            text=text,
            urls=urls,
            location=where,
        )


# --- chatlog CSV --------------------------------------------------------------------------------

_CHATLOG_HEADER = ("Time", "SenderName", "Sender", "TalkerName", "Talker", "Content")
_WX4_PREFIX = re.compile(r"^(wxid_[\w-]+|[\w-]+@chatroom):\n")
_CHATLOG_LINK = re.compile(r"\[链接(?:[|:：]([^\]\n]*))?\]\(([^()\s]*)\)")


class ChatlogCsvReader:
    """chatlog (sjzar/chatlog) CSV from its HTTP API: one row per message, media as markdown."""

    name = "chatlog-csv"
    description = "WeChat export by chatlog (CSV: Time,SenderName,Sender,TalkerName,Talker,Content)"
    detection = "first line is exactly 'Time,SenderName,Sender,TalkerName,Talker,Content'"

    def sniff(self, head: str, path: Path) -> bool:
        return tuple(_first_line_fields(head)) == _CHATLOG_HEADER

    def read(self, path: Path, options: ReadOptions) -> Iterator[Item]:
        tz = options.tz()
        with _open(path) as fh:
            rows = _csv_rows(fh)
            header = _read_header(path, rows, f"'{','.join(_CHATLOG_HEADER)}'")
            if tuple(header) != _CHATLOG_HEADER:
                raise InputError(
                    f"{path}:1: not a chatlog CSV: expected the header "
                    f"'{','.join(_CHATLOG_HEADER)}', found '{','.join(header)[:120]}'"
                )
            for line, row, error in rows:
                if row is None:
                    yield BadRecord(str(path), line, error)
                    continue
                yield self._row(path, line, row, tz, options)

    def _row(self, path: Path, line: int, row: list[str], tz: tzinfo, options: ReadOptions) -> Item:
        where = f"{path.name}:{line}"
        if len(row) != len(_CHATLOG_HEADER):
            return BadRecord(
                str(path),
                line,
                f"has {len(row)} fields, expected {len(_CHATLOG_HEADER)} "
                f"({','.join(_CHATLOG_HEADER)})",
            )
        raw_time, sender_name, sender, talker_name, talker, content = row
        timestamp = _time_iso(raw_time, tz)
        if timestamp is None and raw_time.strip():
            return BadRecord(str(path), line, f"Time {raw_time!r} is not 'YYYY-MM-DD HH:MM:SS'")
        sender_name, sender = sender_name.strip(), sender.strip()
        if not sender_name and not sender:
            return Skipped("system", where)
        # WeChat 4.x group content starts with `wxid:\n` in the raw DB; some tools keep it.
        if sender and content.startswith(sender + ":\n"):
            content = content[len(sender) + 2 :]
        else:
            content = _WX4_PREFIX.sub("", content, count=1)
        urls: list[str] = []

        def link(m: re.Match[str]) -> str:
            if m.group(2).startswith(("http://", "https://")):
                urls.append(m.group(2))
            return (m.group(1) or "").strip() or m.group(2)

        content = _CHATLOG_LINK.sub(link, content)
        text, had_media = _strip_media(content)
        if not text:
            return Skipped("media" if had_media else "empty", where)
        return ChatMessage(
            source_format=self.name,
            chat=options.chat or talker_name.strip() or talker.strip() or path.stem,
            message_id=str(line),
            sender_id=sender or sender_name,
            sender=sender_name or sender,
            timestamp=timestamp,
            text=text,
            urls=urls,
            location=where,
        )


READERS = [MemoTraceCsvReader(), MemoTraceTxtReader(), PyWxDumpCsvReader(), ChatlogCsvReader()]

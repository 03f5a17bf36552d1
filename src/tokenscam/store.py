"""Where moderators' work is kept: accounts, the review queue and their decisions.

SQLite by default (a file, created on first use), PostgreSQL when given a ``postgresql://`` URL
(needs ``psycopg``). The schema is versioned: :data:`MIGRATIONS` are applied in order, once,
inside a transaction that also holds a lock, so several workers starting together are safe.
Connections are per process and per thread, opened on first use after a fork.

Message text is only written when the caller passes it (the service does so only when the
operator enables storing text); the SHA-256 of the text is always kept, so decisions can be
joined back to messages a platform keeps itself.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .errors import TokenscamError
from .sqldialect import SQLITE, parse_url

__all__ = ["Store", "StoreError", "MIGRATIONS", "LABELS", "text_sha256"]

LABELS = ("scam", "not_scam")

# (version, what it does, statements). Append only: a released migration never changes.
MIGRATIONS: tuple[tuple[int, str, tuple[str, ...]], ...] = (
    (
        1,
        "moderator accounts, review items and decisions",
        (
            "CREATE TABLE users (id {id}, username TEXT NOT NULL UNIQUE, "
            "password_hash TEXT NOT NULL, created_at TEXT NOT NULL)",
            "CREATE TABLE review_items (id {id}, created_at TEXT NOT NULL, "
            "source TEXT NOT NULL, origin TEXT, text TEXT, text_sha256 TEXT NOT NULL, "
            "text_chars INTEGER NOT NULL, score {real} NOT NULL, verdict TEXT NOT NULL, "
            "tactics TEXT NOT NULL, model_version TEXT NOT NULL, "
            "status TEXT NOT NULL DEFAULT 'open')",
            "CREATE TABLE decisions (id {id}, item_id {ref} NOT NULL REFERENCES review_items(id), "
            "user_id {ref} NOT NULL REFERENCES users(id), label TEXT NOT NULL "
            "CHECK (label IN ('scam', 'not_scam')), note TEXT NOT NULL DEFAULT '', "
            "decided_at TEXT NOT NULL)",
        ),
    ),
    (
        2,
        "indexes for the open queue and each item's decisions",
        (
            "CREATE INDEX review_items_status ON review_items (status, id)",
            "CREATE INDEX decisions_item ON decisions (item_id, id)",
        ),
    ),
)


class StoreError(TokenscamError):
    """The database cannot be opened or migrated, or a request contradicts what it holds."""


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Store:
    """One database. ``Store("sqlite:///instance/tokenscam.sqlite3")`` or a PostgreSQL URL."""

    def __init__(self, url: str) -> None:
        try:
            self.dialect, self._target = parse_url(url)
        except ValueError as exc:
            raise StoreError(str(exc)) from exc
        self.url = url
        self._local = threading.local()

    @property
    def display_url(self) -> str:
        """The URL without a password, for messages and logs."""
        if self.dialect is SQLITE:
            return f"sqlite:///{self._target}"
        from urllib.parse import urlsplit, urlunsplit

        parts = urlsplit(self._target)
        host = parts.hostname or ""
        netloc = f"{parts.username}:***@{host}" if parts.password else parts.netloc
        if parts.port:
            netloc += f":{parts.port}"
        return urlunsplit(parts._replace(netloc=netloc))

    # --- connections ---------------------------------------------------------------------------

    def _connect(self) -> Any:
        if self.dialect is SQLITE:
            path = Path(self._target)
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(path, timeout=10, isolation_level=None)
            except (OSError, sqlite3.Error) as exc:
                raise StoreError(f"cannot open SQLite database {path}: {exc}") from exc
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA busy_timeout = 10000")
            conn.execute("PRAGMA foreign_keys = ON")
            try:
                conn.execute("PRAGMA journal_mode = WAL")
            except sqlite3.OperationalError:  # pragma: no cover - e.g. a read-only directory
                pass
            conn.execute("PRAGMA synchronous = NORMAL")
            return conn
        try:
            import psycopg
            from psycopg.rows import dict_row
        except ImportError as exc:  # pragma: no cover - psycopg ships with the service extra
            raise StoreError("PostgreSQL needs psycopg: pip install 'tokenscam[service]'") from exc
        try:
            return psycopg.connect(self._target, autocommit=True, row_factory=dict_row)
        except psycopg.Error as exc:
            raise StoreError(f"cannot connect to {self.display_url}: {exc}") from exc

    def connection(self) -> Any:
        """This thread's connection, opened on first use (and again after a fork)."""
        local = self._local
        if getattr(local, "pid", None) != os.getpid() or local.conn is None:
            local.conn = self._connect()
            local.pid = os.getpid()
        return local.conn

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None and getattr(self._local, "pid", None) == os.getpid():
            conn.close()
        self._local.conn = None

    def _errors(self) -> tuple[type[BaseException], ...]:
        if self.dialect is SQLITE:
            return (sqlite3.Error,)
        import psycopg

        return (psycopg.Error,)

    @contextmanager
    def _transaction(self, lock: bool = False) -> Iterator[Any]:
        """A write transaction. SQLite takes the write lock up front (no upgrade deadlocks);
        PostgreSQL takes the migration lock when ``lock`` is asked for."""
        conn = self.connection()
        if self.dialect is SQLITE:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        else:
            with conn.transaction():
                if lock:
                    conn.execute(self.dialect.migration_lock)
                yield conn

    def _rows(self, conn: Any, query: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        cur = conn.execute(self.dialect.sql(query), tuple(params))
        return [dict(r) for r in cur.fetchall()]

    def query(self, query: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        try:
            return self._rows(self.connection(), query, params)
        except self._errors() as exc:
            raise StoreError(f"database error: {exc}") from exc

    def _insert(self, conn: Any, query: str, params: Sequence[Any]) -> int:
        rows = self._rows(conn, query + " RETURNING id", params)
        return int(rows[0]["id"])

    def ping(self) -> bool:
        try:
            return self.query("SELECT 1 AS ok")[0]["ok"] == 1
        except StoreError:
            return False

    # --- schema --------------------------------------------------------------------------------

    def schema_version(self) -> int:
        """The newest migration applied (0 for a new, empty database)."""
        try:
            rows = self._rows(self.connection(), "SELECT MAX(version) AS v FROM schema_migrations")
        except self._errors():
            if self.dialect is not SQLITE:
                self.connection().rollback()
            return 0
        return int(rows[0]["v"] or 0)

    def migrate(self, target: int | None = None) -> list[int]:
        """Apply the migrations not applied yet (up to ``target``); returns their versions."""
        applied: list[int] = []
        try:
            with self._transaction(lock=True) as conn:
                conn.execute(
                    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
                    "description TEXT NOT NULL, applied_at TEXT NOT NULL)"
                )
                done = {
                    int(r["version"])
                    for r in self._rows(conn, "SELECT version FROM schema_migrations")
                }
                for version, description, statements in MIGRATIONS:
                    if version in done or (target is not None and version > target):
                        continue
                    for statement in statements:
                        conn.execute(self.dialect.ddl(statement))
                    conn.execute(
                        self.dialect.sql(
                            "INSERT INTO schema_migrations (version, description, applied_at) "
                            "VALUES (?, ?, ?)"
                        ),
                        (version, description, _now()),
                    )
                    applied.append(version)
        except self._errors() as exc:
            raise StoreError(f"cannot migrate {self.display_url}: {exc}") from exc
        return applied

    # --- moderators ----------------------------------------------------------------------------

    def add_user(self, username: str, password_hash: str) -> int:
        username = username.strip()
        if not username or len(username) > 64 or any(c.isspace() for c in username):
            raise StoreError("a user name is 1–64 characters without spaces")
        try:
            with self._transaction() as conn:
                if self._rows(conn, "SELECT id FROM users WHERE username = ?", (username,)):
                    raise StoreError(f"user {username!r} exists already")
                return self._insert(
                    conn,
                    "INSERT INTO users (username, password_hash, created_at) VALUES (?, ?, ?)",
                    (username, password_hash, _now()),
                )
        except self._errors() as exc:
            raise StoreError(f"database error: {exc}") from exc

    def set_password(self, username: str, password_hash: str) -> None:
        try:
            with self._transaction() as conn:
                if not self._rows(conn, "SELECT id FROM users WHERE username = ?", (username,)):
                    raise StoreError(f"no user {username!r}")
                conn.execute(
                    self.dialect.sql("UPDATE users SET password_hash = ? WHERE username = ?"),
                    (password_hash, username),
                )
        except self._errors() as exc:
            raise StoreError(f"database error: {exc}") from exc

    def user(
        self, *, username: str | None = None, user_id: int | None = None
    ) -> dict[str, Any] | None:
        if username is not None:
            rows = self.query("SELECT * FROM users WHERE username = ?", (username,))
        else:
            rows = self.query("SELECT * FROM users WHERE id = ?", (user_id,))
        return rows[0] if rows else None

    # --- the review queue ----------------------------------------------------------------------

    def add_review_item(
        self,
        *,
        source: str,
        text: str,
        store_text: bool,
        score: float,
        verdict: str,
        tactics: list[dict[str, Any]],
        model_version: str,
        origin: str | None = None,
    ) -> int:
        """Queue a message for review. Without ``store_text`` neither the text nor any evidence
        quoting it is written: only its hash, length and the tactic names."""
        if not store_text:
            tactics = [{"name": t["name"], "label": t["label"], "evidence": []} for t in tactics]
        try:
            with self._transaction() as conn:
                return self._insert(
                    conn,
                    "INSERT INTO review_items (created_at, source, origin, text, text_sha256, "
                    "text_chars, score, verdict, tactics, model_version) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        _now(),
                        source,
                        origin,
                        text if store_text else None,
                        text_sha256(text),
                        len(text),
                        float(score),
                        verdict,
                        json.dumps(tactics, ensure_ascii=False),
                        model_version,
                    ),
                )
        except self._errors() as exc:
            raise StoreError(f"database error: {exc}") from exc

    def review_items(
        self, status: str = "open", limit: int = 50, offset: int = 0
    ) -> list[dict[str, Any]]:
        rows = self.query(
            "SELECT * FROM review_items WHERE status = ? ORDER BY id LIMIT ? OFFSET ?",
            (status, limit, offset),
        )
        return [_item(r) for r in rows]

    def count_items(self, status: str = "open") -> int:
        return int(
            self.query("SELECT COUNT(*) AS n FROM review_items WHERE status = ?", (status,))[0]["n"]
        )

    def item(self, item_id: int) -> dict[str, Any] | None:
        rows = self.query("SELECT * FROM review_items WHERE id = ?", (item_id,))
        return _item(rows[0]) if rows else None

    def decide(self, item_id: int, user_id: int, label: str, note: str = "") -> int:
        """Record a moderator's decision; the item leaves the open queue. Deciding again adds a
        newer decision (the history keeps both; the newest counts for training)."""
        if label not in LABELS:
            raise StoreError(f"label must be one of {LABELS}, got {label!r}")
        try:
            with self._transaction() as conn:
                if not self._rows(conn, "SELECT id FROM review_items WHERE id = ?", (item_id,)):
                    raise StoreError(f"no review item {item_id}")
                decision = self._insert(
                    conn,
                    "INSERT INTO decisions (item_id, user_id, label, note, decided_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (item_id, user_id, label, note, _now()),
                )
                conn.execute(
                    self.dialect.sql("UPDATE review_items SET status = 'decided' WHERE id = ?"),
                    (item_id,),
                )
                return decision
        except self._errors() as exc:
            raise StoreError(f"database error: {exc}") from exc

    _DECISIONS = (
        "SELECT d.id AS decision_id, d.item_id, d.label, d.note, d.decided_at, "
        "u.username AS moderator, i.created_at, i.source, i.origin, i.text, i.text_sha256, "
        "i.text_chars, i.score, i.verdict, i.tactics, i.model_version "
        "FROM decisions d JOIN review_items i ON i.id = d.item_id "
        "JOIN users u ON u.id = d.user_id"
    )

    def decisions(self, limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
        """The history, newest first."""
        rows = self.query(self._DECISIONS + " ORDER BY d.id DESC LIMIT ? OFFSET ?", (limit, offset))
        return [_item(r) for r in rows]

    def count_decisions(self) -> int:
        return int(self.query("SELECT COUNT(*) AS n FROM decisions")[0]["n"])

    def iter_decisions(self, batch: int = 1000) -> Iterator[dict[str, Any]]:
        """Every decision, oldest first, in the JSONL export's shape."""
        last = 0
        while True:
            rows = self.query(
                self._DECISIONS + " WHERE d.id > ? ORDER BY d.id LIMIT ?", (last, batch)
            )
            if not rows:
                return
            for r in rows:
                last = int(r["decision_id"])
                yield export_record(_item(r))


def _item(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    if isinstance(out.get("tactics"), str):
        try:
            out["tactics"] = json.loads(out["tactics"])
        except json.JSONDecodeError:
            out["tactics"] = []
    return out


def export_record(row: dict[str, Any]) -> dict[str, Any]:
    """One line of the decisions JSONL (also what ``tokenscam train --feedback`` reads)."""
    return {
        "decision_id": int(row["decision_id"]),
        "item_id": int(row["item_id"]),
        "label": row["label"],
        "note": row["note"],
        "moderator": row["moderator"],
        "decided_at": row["decided_at"],
        "source": row["source"],
        "created_at": row["created_at"],
        "text": row["text"],
        "text_sha256": row["text_sha256"],
        "score": row["score"],
        "verdict": row["verdict"],
        "tactics": row["tactics"],
        "model_version": row["model_version"],
    }

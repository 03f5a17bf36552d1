"""The differences between SQLite and PostgreSQL that the review store meets, in one place.

Queries are written once, SQLite-style (``?`` placeholders, ``{id}``-style type slots in DDL);
a :class:`Dialect` turns them into what the database in use understands. Nothing here connects
to anything, so the translation is tested without a server.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Dialect", "SQLITE", "POSTGRESQL", "parse_url"]

_PLACEHOLDER = re.compile(r"\?")
_LITERAL = re.compile(r"'(?:[^']|'')*'")


@dataclass(frozen=True)
class Dialect:
    name: str
    placeholder: str
    types: dict[str, str]
    # Serialises concurrent migrations (several workers starting at once).
    migration_lock: str

    def sql(self, query: str) -> str:
        """``query`` with ``?`` placeholders in this dialect's style (never inside literals)."""
        if self.placeholder == "?":
            return query
        out, pos = [], 0
        for lit in _LITERAL.finditer(query):
            out.append(_PLACEHOLDER.sub(self.placeholder, query[pos : lit.start()]))
            out.append(lit.group())
            pos = lit.end()
        out.append(_PLACEHOLDER.sub(self.placeholder, query[pos:]))
        return "".join(out)

    def ddl(self, statement: str) -> str:
        """``statement`` with its type slots (``{id}``, ``{ref}``, ``{real}``) filled in."""
        return statement.format(**self.types)


SQLITE = Dialect(
    name="sqlite",
    placeholder="?",
    types={"id": "INTEGER PRIMARY KEY AUTOINCREMENT", "ref": "INTEGER", "real": "REAL"},
    migration_lock="BEGIN IMMEDIATE",
)
POSTGRESQL = Dialect(
    name="postgresql",
    placeholder="%s",
    types={
        "id": "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
        "ref": "BIGINT",
        "real": "DOUBLE PRECISION",
    },
    migration_lock="SELECT pg_advisory_xact_lock(72530001)",
)


def parse_url(url: str) -> tuple[Dialect, str]:
    """``(dialect, target)``: a file path for SQLite, the URL itself for PostgreSQL.

    Accepts ``sqlite:///relative.db``, ``sqlite:////absolute.db``, a bare file path, and
    ``postgresql://`` / ``postgres://`` URLs.
    """
    url = url.strip()
    if not url:
        raise ValueError("empty database URL")
    if url.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        return POSTGRESQL, url.replace("postgresql+psycopg://", "postgresql://", 1)
    if url.startswith("sqlite://"):
        path = url.removeprefix("sqlite://")
        if not path.startswith("/") or path == "/":
            raise ValueError(f"{url!r}: write sqlite:///relative/file.db or sqlite:////abs/file.db")
        return SQLITE, path[1:]
    if "://" in url:
        raise ValueError(f"{url!r}: only sqlite:// and postgresql:// databases are supported")
    return SQLITE, str(Path(url))

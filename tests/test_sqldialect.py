"""SQLite and PostgreSQL spellings of the store's queries, checked without a server."""

from __future__ import annotations

import pytest

from tokenscam.sqldialect import POSTGRESQL, SQLITE, parse_url


def test_placeholders_are_translated_outside_literals_only() -> None:
    query = "SELECT * FROM t WHERE a = ? AND note = 'why?' AND b = ?"
    assert SQLITE.sql(query) == query
    assert POSTGRESQL.sql(query) == "SELECT * FROM t WHERE a = %s AND note = 'why?' AND b = %s"
    assert POSTGRESQL.sql("SELECT 'it''s ?', ?") == "SELECT 'it''s ?', %s"


def test_type_slots() -> None:
    ddl = "CREATE TABLE t (id {id}, other {ref}, score {real})"
    assert "AUTOINCREMENT" in SQLITE.ddl(ddl) and "REAL" in SQLITE.ddl(ddl)
    pg = POSTGRESQL.ddl(ddl)
    assert "GENERATED ALWAYS AS IDENTITY" in pg and "DOUBLE PRECISION" in pg
    assert "{" not in pg


@pytest.mark.parametrize(
    ("url", "dialect", "target"),
    [
        ("sqlite:///instance/db.sqlite3", SQLITE, "instance/db.sqlite3"),
        ("sqlite:////var/lib/tokenscam.db", SQLITE, "/var/lib/tokenscam.db"),
        ("review.db", SQLITE, "review.db"),
        ("postgresql://u:p@h/db", POSTGRESQL, "postgresql://u:p@h/db"),
        ("postgres://h/db", POSTGRESQL, "postgres://h/db"),
        ("postgresql+psycopg://h/db", POSTGRESQL, "postgresql://h/db"),
    ],
)
def test_urls(url, dialect, target) -> None:
    assert parse_url(url) == (dialect, target)


@pytest.mark.parametrize("url", ["", "  ", "sqlite://", "sqlite://relative", "mysql://h/db"])
def test_bad_urls(url) -> None:
    with pytest.raises(ValueError):
        parse_url(url)

"""The review store: migrations, moderators, the queue, decisions — on SQLite, and on a
throw-away PostgreSQL server when one can be started here (initdb on the PATH or
in Debian's /usr/lib/postgresql)."""

from __future__ import annotations

import itertools
import os
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path

import pytest

from tokenscam.store import MIGRATIONS, Store, StoreError, text_sha256

_DB_NAMES = itertools.count(1)


def _pg_command(argv: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root: run its tools as the postgres user then.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *argv]
    return argv


def _pg_tool(name: str) -> str | None:
    """On PATH, or where Debian's ``postgresql`` package puts it (installed by ``.ci/run``)."""
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    return str(versions[-1]) if versions else None


@pytest.fixture(scope="module")
def postgres():
    """A PostgreSQL server on a Unix socket in a temporary folder (about a second to start)."""
    initdb, pg_ctl = _pg_tool("initdb"), _pg_tool("pg_ctl")
    if not initdb or not pg_ctl:
        pytest.skip("no PostgreSQL server binaries (initdb, pg_ctl): SQLite only")
    pytest.importorskip("psycopg")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        pytest.skip("running as root without runuser: cannot start PostgreSQL")
    # not under pytest's tmp folders: those are private to root, and the server runs as postgres
    root = Path(tempfile.mkdtemp(prefix="tokenscam-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    data = root / "data"
    run = {"capture_output": True, "text": True, "timeout": 60}
    done = subprocess.run(
        _pg_command([initdb, "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync"]),
        **run,
    )
    if done.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        pytest.skip(f"initdb failed here: {done.stderr.strip()[:200]}")
    options = f"-k {root} -c listen_addresses='' -F"
    start = [pg_ctl, "-D", str(data), "-o", options, "-w", "-l", str(root / "log"), "start"]
    done = subprocess.run(_pg_command(start), **run)
    if done.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        pytest.skip(f"PostgreSQL did not start here: {done.stderr.strip()[:200]}")
    try:
        yield f"postgresql:///postgres?host={root}&user=postgres"
    finally:
        subprocess.run(_pg_command([pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop"]), **run)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite3'}"
    import psycopg

    base = request.getfixturevalue("postgres")
    name = f"store_test_{next(_DB_NAMES)}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return base.replace("/postgres?", f"/{name}?")


@pytest.fixture
def store(url):
    s = Store(url)
    s.migrate()
    yield s
    s.close()


def _item(store: Store, text: str = "加V私聊，内部渠道三折", keep: bool = True) -> int:
    tactics = [
        {"name": "contact_diversion", "label": "引流私聊", "evidence": [{"start": 0, "end": 2}]}
    ]
    return store.add_review_item(
        source="api",
        origin="partner",
        text=text,
        store_text=keep,
        score=0.91,
        verdict="review",
        tactics=tactics,
        model_version="0.1.0",
    )


def test_migrations_run_once_in_order(url) -> None:
    store = Store(url)
    assert store.schema_version() == 0
    assert store.migrate(target=1) == [1]
    assert store.schema_version() == 1
    assert store.migrate() == [v for v, _, _ in MIGRATIONS if v > 1]
    assert store.migrate() == []  # a second start changes nothing
    assert store.schema_version() == MIGRATIONS[-1][0]
    versions = [r["version"] for r in store.query("SELECT version FROM schema_migrations")]
    assert sorted(versions) == [v for v, _, _ in MIGRATIONS]


def test_moderators(store) -> None:
    uid = store.add_user("mod_li", "scrypt$hash")
    assert store.user(username="mod_li")["id"] == uid
    assert store.user(user_id=uid)["username"] == "mod_li"
    with pytest.raises(StoreError, match="exists already"):
        store.add_user("mod_li", "x")
    with pytest.raises(StoreError, match="without spaces"):
        store.add_user("mod li", "x")
    store.set_password("mod_li", "scrypt$new")
    assert store.user(username="mod_li")["password_hash"] == "scrypt$new"
    with pytest.raises(StoreError, match="no user"):
        store.set_password("nobody", "x")


def test_queue_decisions_and_history(store) -> None:
    uid = store.add_user("mod_li", "h")
    first, second = _item(store), _item(store, "第二条")
    assert [i["id"] for i in store.review_items()] == [first, second]
    assert store.item(first)["tactics"][0]["name"] == "contact_diversion"
    store.decide(first, uid, "not_scam", "正常通知")
    store.decide(first, uid, "scam", "改判")
    assert [i["id"] for i in store.review_items()] == [second]
    assert store.count_items("decided") == 1 and store.count_decisions() == 2
    assert [d["note"] for d in store.decisions()] == ["改判", "正常通知"]  # newest first
    exported = list(store.iter_decisions(batch=1))
    assert [d["label"] for d in exported] == ["not_scam", "scam"]
    assert exported[0]["moderator"] == "mod_li" and exported[0]["text"] == "加V私聊，内部渠道三折"
    with pytest.raises(StoreError, match="label"):
        store.decide(second, uid, "maybe")
    with pytest.raises(StoreError, match="no review item"):
        store.decide(10_000, uid, "scam")


def test_text_is_kept_only_when_asked(store) -> None:
    secret = "加我微信 wx_13800138000 私聊"
    item = store.item(_item(store, secret, keep=False))
    assert item["text"] is None
    assert item["text_sha256"] == text_sha256(secret) and item["text_chars"] == len(secret)
    assert item["tactics"][0]["evidence"] == []  # evidence would quote the text


def test_display_url_hides_the_password() -> None:
    store = Store("postgresql://tokenscam:s3cret@db.example:5432/tokenscam")
    assert "s3cret" not in store.display_url and "***" in store.display_url


def test_unusable_databases_are_store_errors(tmp_path) -> None:
    with pytest.raises(StoreError):
        Store("mysql://x/y")
    not_a_db = tmp_path / "not.sqlite3"
    not_a_db.write_bytes(b"this is not a database file at all" * 100)
    with pytest.raises(StoreError, match="cannot migrate"):
        Store(str(not_a_db)).migrate()
    assert Store(str(not_a_db)).ping() is False


def test_sqlite_file_is_created_with_the_schema(tmp_path) -> None:
    path = tmp_path / "deep" / "folder" / "tokenscam.sqlite3"
    Store(f"sqlite:///{path}").migrate()
    with sqlite3.connect(path) as db:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"users", "review_items", "decisions", "schema_migrations"} <= tables

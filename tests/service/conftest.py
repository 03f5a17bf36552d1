"""Fixtures of the service tests: an app per test with its own instance folder and SQLite."""

from __future__ import annotations

import pytest

MODERATOR = ("mod_li", "correct-horse-battery")


@pytest.fixture
def make_app(tmp_path):
    """``make_app(**settings)``: a service app with its own instance folder (SQLite inside)."""
    from service import create_app

    def make(**settings):
        config = {"TESTING": True, "INSTANCE_PATH": str(tmp_path / "instance")}
        config.update(settings)
        return create_app(config)

    return make


@pytest.fixture
def app(make_app):
    return make_app(STORE_TEXT=True)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def moderator(app):
    """A moderator account in the app's database: ``(id, username, password)``."""
    from tokenscam.passwords import hash_password

    store = app.extensions["tokenscam.store"]
    uid = store.add_user(MODERATOR[0], hash_password(MODERATOR[1]))
    return uid, *MODERATOR

"""The tokenscam service: an HTTP API for platforms, a moderator form and a review queue.

A thin face over the library: :func:`create_app` reads the settings, loads the model once (per
gunicorn master with ``--preload``, shared by the forked workers), migrates the database and
registers the blueprints ``api``, ``moderate`` and ``ops``. Run it with ``tokenscam serve``.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask

from tokenscam.settings import (
    SettingsError,
    database_url,
    default_instance_path,
    is_loopback,
    load_settings,
    parse_api_keys,
)
from tokenscam.store import Store

__all__ = ["create_app"]


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app. ``test_config`` replaces the file and environment (tests only)."""
    if test_config is None:
        settings = load_settings(environ=os.environ)
    else:
        settings = load_settings(environ={})
        settings.update(test_config)
        settings["API_KEYS"] = parse_api_keys(settings["API_KEYS"], "test_config")
    instance = Path(settings["INSTANCE_PATH"] or default_instance_path()).resolve()
    instance.mkdir(parents=True, exist_ok=True)

    app = Flask(__name__, instance_path=str(instance))
    app.config.update(settings)
    app.config.update(
        MAX_CONTENT_LENGTH=int(settings["MAX_UPLOAD_MB"]) * 1024 * 1024,
        SECRET_KEY=settings["SECRET_KEY"] or _instance_secret(instance),
        SESSION_COOKIE_NAME="tokenscam_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=bool(settings["SESSION_COOKIE_SECURE"]),
        PERMANENT_SESSION_LIFETIME=12 * 3600,
        JSON_SORT_KEYS=False,
    )
    from . import jsonio

    jsonio.init_app(app)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # readable Chinese in JSON
    app.json.sort_keys = False  # type: ignore[attr-defined]  # keep fields in the documented order

    from . import logs

    logs.init_app(app)
    local = is_loopback(str(settings["HOST"]))
    app.config["LOCAL_ONLY"] = local
    if settings["REQUIRE_API_KEYS"] is True or (
        settings["REQUIRE_API_KEYS"] == "auto" and not local
    ):
        if not settings["API_KEYS"]:
            raise SettingsError(
                f"the service listens on {settings['HOST']}, beyond loopback: configure API keys "
                "(`tokenscam keys new NAME`) or set TOKENSCAM_REQUIRE_API_KEYS=false"
            )

    from . import api, errors, metrics, model, moderate, ops, ratelimit, security

    model.init_app(app)
    store = Store(database_url(settings, instance))
    store.migrate()
    store.close()  # no connection crosses a fork: each worker opens its own
    app.extensions["tokenscam.store"] = store
    metrics.init_app(app)
    ratelimit.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    app.register_blueprint(api.bp)
    app.register_blueprint(moderate.bp)
    app.register_blueprint(ops.bp)
    logging.getLogger(__name__).info(
        "tokenscam service ready: model %s, database %s",
        app.extensions["tokenscam.detector"].version,
        store.display_url,
    )
    return app


def _instance_secret(instance: Path) -> str:
    """A secret key made once and kept (mode 0600) so every worker and restart shares it."""
    path = instance / "secret_key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(secrets.token_hex(32))
    return path.read_text(encoding="ascii").strip()

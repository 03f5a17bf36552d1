"""Fast JSON out (orjson: UTF-8, Chinese as is) and no session work for machine clients.

Both matter for the single-message API: the framework's per-request costs are of the same size
as scoring one message.
"""

from __future__ import annotations

from typing import Any

import orjson
from flask import Flask, Request, Response
from flask.json.provider import DefaultJSONProvider
from flask.sessions import SecureCookieSessionInterface, SessionMixin

__all__ = ["OrjsonProvider", "PagesOnlySessions", "init_app", "MACHINE_PATHS"]

MACHINE_PATHS = ("/api/", "/healthz", "/readyz", "/metrics", "/static/")


class OrjsonProvider(DefaultJSONProvider):
    """Flask's JSON provider, serialising with orjson (falls back for types orjson lacks)."""

    ensure_ascii = False
    sort_keys = False

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        try:
            return orjson.dumps(obj, option=orjson.OPT_NON_STR_KEYS).decode()
        except TypeError:
            return super().dumps(obj, **kwargs)

    def response(self, *args: Any, **kwargs: Any) -> Response:
        obj = self._prepare_response_obj(args, kwargs)
        try:
            body = orjson.dumps(obj, option=orjson.OPT_NON_STR_KEYS)
        except TypeError:
            body = super().dumps(obj).encode()
        return self._app.response_class(body, mimetype="application/json")


class PagesOnlySessions(SecureCookieSessionInterface):
    """Signed-cookie sessions for the pages; API, ops and static requests get none."""

    def open_session(self, app: Flask, request: Request) -> SessionMixin | None:
        if request.path.startswith(MACHINE_PATHS):
            return self.make_null_session(app)
        return super().open_session(app, request)


def init_app(app: Flask) -> None:
    app.json = OrjsonProvider(app)
    app.session_interface = PagesOnlySessions()

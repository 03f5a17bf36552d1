"""Browser-facing safety: headers on every response, CSRF tokens on every form, sign-in.

The pages need no script at all, so the Content-Security-Policy allows none; styles come only
from our own stylesheet (score bars are ``<meter>`` elements, not inline styles).
"""

from __future__ import annotations

import functools
import hmac
import secrets
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, abort, current_app, g, redirect, request, session, url_for

from tokenscam.store import Store

__all__ = ["init_app", "csrf_token", "check_csrf", "login_required", "current_user", "CSP"]

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def csrf_token() -> str:
    """This session's CSRF token, made on first use."""
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return str(token)


def check_csrf() -> None:
    """400 unless the form carries this session's token."""
    sent = request.form.get("csrf_token", "")
    token = session.get("csrf", "")
    if not token or not sent or not hmac.compare_digest(str(sent), str(token)):
        abort(400, description="CSRF token missing or invalid: reload the page and try again")


def store() -> Store:
    return current_app.extensions["tokenscam.store"]


def current_user() -> dict[str, Any] | None:
    if "user" not in g:
        uid = session.get("user_id")
        g.user = store().user(user_id=int(uid)) if uid else None
    return g.user


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_user() is None:
            return redirect(url_for("moderate.login", next=request.path))
        return view(*args, **kwargs)

    return wrapped


def init_app(app: Flask) -> None:
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.jinja_env.globals["current_user"] = current_user

    @app.after_request
    def _headers(resp: Response) -> Response:
        headers = resp.headers
        headers["X-Content-Type-Options"] = "nosniff"
        if resp.mimetype == "text/html":  # JSON is never rendered: the page headers are moot
            for k, v in _HEADERS.items():
                headers[k] = v
        return resp

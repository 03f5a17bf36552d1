"""Every error leaves as ``{"error": {"code", "message"}}`` (API and ops) or an HTML page.

Nothing a client sends reaches the client as a stack trace: unexpected exceptions are logged
(masked) and answered with a plain 500.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

__all__ = ["ApiError", "init_app", "CODES", "wants_json"]

log = logging.getLogger(__name__)

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}
_JSON_PATHS = ("/api/", "/healthz", "/readyz", "/metrics")


class ApiError(Exception):
    """An error with a status, a stable code and a message safe to show the client."""

    def __init__(
        self,
        status: int,
        message: str,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or CODES.get(status, "error")
        self.message = message
        self.headers = headers or {}


def wants_json() -> bool:
    if request.path.startswith(_JSON_PATHS):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> Response:
    if wants_json():
        resp = jsonify({"error": {"code": code, "message": message}})
    else:
        resp = Response(
            render_template("error.html", status=status, message=message),
            mimetype="text/html",
        )
    resp.status_code = status
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


_MESSAGES = {
    400: "请求格式不对 (bad request)",
    404: "没有这个地址 (not found)",
    405: "这个地址不接受这种请求方法 (method not allowed)",
    413: "请求太大 (request too large)",
    415: "不支持的内容类型 (unsupported media type)",
}


def init_app(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError) -> Response:
        return error_response(exc.status, exc.code, exc.message, exc.headers)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        headers = {k: v for k, v in exc.get_headers() if k.lower() == "allow"}
        message = exc.description if status not in _MESSAGES else _MESSAGES[status]
        if status == 413:
            limit = app.config["MAX_UPLOAD_MB"]
            message = f"request body over {limit} MB (TOKENSCAM_MAX_UPLOAD_MB)"
        elif status == 400 and exc.description and "CSRF" in exc.description:
            message = exc.description
        return error_response(status, CODES.get(status, "error"), str(message), headers)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.error("unexpected error on %s %s", request.method, request.path, exc_info=exc)
        return error_response(500, "internal_error", "internal error; it has been logged")

"""Blueprint ``api``: the JSON API platforms call from their message pipelines."""

from __future__ import annotations

import functools
import hashlib
import logging
import math
from collections import Counter
from typing import Any

import orjson
from flask import Blueprint, Response, current_app, g, jsonify, request

from tokenscam.settings import is_loopback

from .errors import ApiError
from .metrics import get_metrics
from .model import get_detector
from .openapi import openapi_document
from .ratelimit import get_limiter
from .results import queue_for_review, result_json
from .uploads import UploadError, score_upload

__all__ = ["bp"]

bp = Blueprint("api", __name__, url_prefix="/api/v1")
log = logging.getLogger(__name__)

_SCOPES = {"api.score": "score", "api.score_export": "export", "api.model_info": "model"}
_BEARER = {"WWW-Authenticate": 'Bearer realm="tokenscam"'}
_TOP_FIELDS = frozenset({"text", "messages", "explain"})
_MESSAGE_FIELDS = frozenset({"id", "text", "sender"})
_MAX_ID = 200


def _key_index() -> dict[str, str]:
    """SHA-256 of each key → its name (built once per app)."""
    ext = current_app.extensions
    index = ext.get("tokenscam.key_index")
    if index is None:
        index = ext["tokenscam.key_index"] = {
            k["sha256"]: name for name, k in current_app.config["API_KEYS"].items()
        }
    return index


@functools.lru_cache(maxsize=4096)
def _is_loopback_client(addr: str) -> bool:
    """``is_loopback`` for client addresses, remembered: it parses the address every call."""
    return is_loopback(addr)


def _keys_required() -> bool:
    mode = current_app.config["REQUIRE_API_KEYS"]
    if mode is True or mode is False:
        return mode
    return not (current_app.config["LOCAL_ONLY"] and _is_loopback_client(request.remote_addr or ""))


@bp.before_request
def _authenticate() -> None:
    g.api_key = None
    scope = _SCOPES.get(request.endpoint or "")
    if scope is None:
        return  # the OpenAPI document is public; unknown paths become 404/405
    header = request.headers.get("Authorization")
    if header is None:
        if _keys_required():
            raise ApiError(
                401, "an API key is required: Authorization: Bearer <key>", None, _BEARER
            )
        return
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise ApiError(401, "the Authorization header must be 'Bearer <key>'", None, _BEARER)
    name = _key_index().get(hashlib.sha256(token.encode("utf-8", "replace")).hexdigest())
    if name is None:
        raise ApiError(401, "unknown API key", None, _BEARER)
    if scope not in current_app.config["API_KEYS"][name]["scopes"]:
        raise ApiError(403, f"this API key may not use {scope!r}")
    allowed, wait = get_limiter().acquire(name)
    if not allowed:
        raise ApiError(
            429,
            f"rate limit of this API key reached; retry in {wait:.1f} s",
            None,
            {"Retry-After": str(max(1, math.ceil(wait)))},
        )
    g.api_key = name


def _json_body() -> Any:
    if request.mimetype != "application/json":
        raise ApiError(415, "send JSON with Content-Type: application/json")
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        raise ApiError(415, "JSON must be UTF-8")
    data = request.get_data(cache=False)
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise ApiError(400, f"malformed JSON: {exc}", "bad_json") from None


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise ApiError(400, f"{where} must be a string")
    if not value.strip():
        raise ApiError(400, f"{where} is empty")
    limit = current_app.config["MAX_CHARS"]
    if len(value) > limit:
        raise ApiError(413, f"{where} has {len(value)} characters; at most {limit}")
    return value


def _messages(body: Any) -> tuple[list[tuple[Any, str, Any]], bool]:
    """``[(id, text, sender)]`` and whether top terms were asked for; ApiError on bad input."""
    if not isinstance(body, dict):
        raise ApiError(400, "the body must be a JSON object with 'text' or 'messages'")
    unknown = set(body) - _TOP_FIELDS
    if unknown:
        raise ApiError(400, f"unknown field(s): {', '.join(sorted(map(str, unknown)))}")
    explain = body.get("explain", False)
    if not isinstance(explain, bool):
        raise ApiError(400, "explain must be true or false")
    if ("text" in body) == ("messages" in body):
        raise ApiError(400, "give exactly one of 'text' or 'messages'")
    if "text" in body:
        return [(0, _text(body["text"], "text"), None)], explain
    messages = body["messages"]
    if not isinstance(messages, list) or not messages:
        raise ApiError(400, "messages must be a non-empty array")
    limit = current_app.config["MAX_MESSAGES"]
    if len(messages) > limit:
        raise ApiError(413, f"{len(messages)} messages; at most {limit} in one request")
    out = []
    for i, m in enumerate(messages):
        where = f"messages[{i}]"
        if not isinstance(m, dict):
            raise ApiError(400, f"{where} must be an object with 'text'")
        unknown = set(m) - _MESSAGE_FIELDS
        if unknown:
            raise ApiError(
                400, f"{where}: unknown field(s): {', '.join(sorted(map(str, unknown)))}"
            )
        if "text" not in m:
            raise ApiError(400, f"{where}.text is missing")
        mid = m.get("id", i)
        if isinstance(mid, bool) or not isinstance(mid, (str, int)):
            raise ApiError(400, f"{where}.id must be a string or an integer")
        if isinstance(mid, str) and len(mid) > _MAX_ID:
            raise ApiError(400, f"{where}.id is longer than {_MAX_ID} characters")
        if isinstance(mid, int) and not -(2**53) <= mid <= 2**53:
            raise ApiError(400, f"{where}.id is outside ±2^53")
        sender = m.get("sender")
        if sender is not None and (not isinstance(sender, str) or len(sender) > _MAX_ID):
            raise ApiError(400, f"{where}.sender must be a string of at most {_MAX_ID} characters")
        out.append((mid, _text(m["text"], f"{where}.text"), sender))
    return out, explain


@bp.post("/score")
def score() -> Response:
    """Score one message or a batch."""
    messages, explain = _messages(_json_body())
    detector = get_detector()
    texts = [text for _, text, _ in messages]
    if len(texts) == 1:
        results = [detector.score(texts[0], explain=explain)]
    else:
        results = detector.score_many(texts, explain=explain)
    verdicts = Counter(r.verdict for r in results)
    metrics = get_metrics()
    for verdict, n in verdicts.items():
        metrics.count_verdict(verdict, "api", n)
    if verdicts.get("review") and current_app.config["STORE_API_REVIEWS"]:
        _queue(messages, results)
    return jsonify(
        {
            "model": {"version": detector.version},
            "results": [
                result_json(r, mid, sender)
                for (mid, _, sender), r in zip(messages, results, strict=True)
            ],
        }
    )


def _queue(messages: list[tuple[Any, str, Any]], results: list[Any]) -> None:
    for (_, text, _), r in zip(messages, results, strict=True):
        if r.verdict == "review":
            queue_for_review(text, r, source="api", origin=g.api_key or "local")


_TRUE = {"1", "true", "yes", "on"}


@bp.post("/score/export")
def score_export() -> Response:
    """Score an uploaded chat export: every message and the per-sender summary."""
    if request.mimetype != "multipart/form-data":
        raise ApiError(415, "upload the export as multipart/form-data, field 'file'")
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ApiError(400, "no file: send the export in the multipart field 'file'")
    form = request.form
    show = request.args.get("messages", "all")
    if show not in ("all", "flagged", "none"):
        raise ApiError(400, "messages must be all, flagged or none")
    detector = get_detector()
    try:
        scored = score_upload(
            upload,
            detector,
            fmt=form.get("format") or None,
            timezone=form.get("timezone") or current_app.config["EXPORT_TIMEZONE"],
            mask=form.get("mask_pii", "").lower() in _TRUE,
            text_column=form.get("text_column"),
            sender_column=form.get("sender_column"),
            time_column=form.get("time_column"),
        )
    except UploadError as exc:
        raise ApiError(400, str(exc), "bad_export") from None
    summary = scored["summary"]
    metrics = get_metrics()
    for verdict, n in summary.get("verdicts", {}).items():
        if n:
            metrics.count_verdict(verdict, "export", n)
    messages = scored["messages"]
    if show == "flagged":
        messages = [m for m in messages if m["verdict"] != "pass"]
    elif show == "none":
        messages = []
    return jsonify(
        {
            "model": {"version": detector.version},
            "summary": summary,
            "messages": messages,
            "errors": scored["errors"],
        }
    )


@bp.get("/model")
def model_info() -> Response:
    """The model being served: version, thresholds, metrics and the whole card."""
    detector = get_detector()
    card = detector.card
    return jsonify(
        {
            "version": detector.version,
            "thresholds": detector.thresholds,
            "metrics": card.get("metrics", {}),
            "card": card,
        }
    )


@bp.get("/openapi.json")
def openapi() -> Response:
    """This API, described in OpenAPI 3.1."""
    doc = current_app.extensions.get("tokenscam.openapi")
    if doc is None:
        doc = current_app.extensions["tokenscam.openapi"] = orjson.dumps(
            openapi_document(current_app.config)
        )
    return Response(doc, mimetype="application/json")

"""Blueprint ``moderate``: the moderators' web pages — the form, the review queue, sign-in."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import orjson
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    stream_with_context,
    url_for,
)

from tokenscam.passwords import verify_password
from tokenscam.store import LABELS

from .metrics import get_metrics
from .model import get_detector
from .results import VERDICT_LABELS, highlight, queue_for_review, result_json
from .security import check_csrf, current_user, login_required, store
from .uploads import UploadError, score_upload

__all__ = ["bp"]

bp = Blueprint("moderate", __name__)
log = logging.getLogger(__name__)
_PAGE = 50
_EXPORT_SHOWN = 200  # flagged messages shown for an uploaded export


@bp.app_template_global()
def segments(text: str, tactics: list[dict[str, Any]], top_terms: Any = None) -> Any:
    return highlight(text, tactics, top_terms)


@bp.app_template_global()
def verdict_label(verdict: str) -> str:
    return VERDICT_LABELS.get(verdict, verdict)


@bp.before_request
def _csrf() -> None:
    if request.method == "POST":
        check_csrf()


def _form_needs_login() -> bool:
    mode = current_app.config["FORM_REQUIRES_LOGIN"]
    if mode is True or mode is False:
        return mode
    return not current_app.config["LOCAL_ONLY"]


def _messages(raw: str, mode: str) -> list[str]:
    if mode == "whole":
        return [raw] if raw.strip() else []
    return [line for line in raw.splitlines() if line.strip()]


@bp.route("/", methods=["GET", "POST"])
def index() -> Any:
    """Paste messages or upload an export; see verdicts and evidence."""
    if _form_needs_login() and current_user() is None:
        return redirect(url_for("moderate.login", next=request.path))
    if request.method == "GET":
        return render_template("index.html", mode="lines", raw="")
    mode = request.form.get("mode", "lines")
    if mode not in ("lines", "whole"):
        mode = "lines"
    raw = request.form.get("messages", "")
    upload = request.files.get("export")
    if upload is not None and upload.filename:
        return _export(upload, mode, raw)
    texts = _messages(raw, mode)
    error = None
    max_messages, max_chars = current_app.config["MAX_MESSAGES"], current_app.config["MAX_CHARS"]
    if not texts:
        error = "请粘贴要检测的消息，或上传聊天记录导出文件。"
    elif len(texts) > max_messages:
        error = f"一次最多检测 {max_messages} 条消息（这次有 {len(texts)} 条）。"
    elif any(len(t) > max_chars for t in texts):
        error = f"单条消息最多 {max_chars} 个字符。"
    if error:
        flash(error, "error")
        return render_template("index.html", mode=mode, raw=raw), 400
    detector = get_detector()
    results = detector.score_many(texts, explain=True)
    shown = []
    queued = 0
    for i, (text, r) in enumerate(zip(texts, results, strict=True)):
        entry = result_json(r, i)
        entry["text"] = text
        if r.verdict == "review":
            entry["queued"] = _queue(text, r)
            queued += bool(entry["queued"])
        shown.append(entry)
        get_metrics().count_verdict(r.verdict, "form")
    return render_template(
        "index.html", mode=mode, raw=raw, results=shown, queued=queued, model=detector.version
    )


def _queue(text: str, result: Any) -> bool:
    user = current_user()
    return queue_for_review(
        text, result, source="form", origin=user["username"] if user else "form"
    )


def _export(upload: Any, mode: str, raw: str) -> Any:
    detector = get_detector()
    try:
        scored = score_upload(
            upload,
            detector,
            timezone=current_app.config["EXPORT_TIMEZONE"],
            mask=request.form.get("mask_pii") == "on",
        )
    except UploadError as exc:
        flash(f"无法读取上传的文件：{exc}", "error")
        return render_template("index.html", mode=mode, raw=raw), 400
    flagged = [m for m in scored["messages"] if m["verdict"] != "pass"]
    flagged.sort(key=lambda m: -m["score"])
    for verdict, n in scored["summary"].get("verdicts", {}).items():
        if n:
            get_metrics().count_verdict(verdict, "export", n)
    return render_template(
        "index.html",
        mode=mode,
        raw=raw,
        export=scored["summary"],
        flagged=flagged[:_EXPORT_SHOWN],
        flagged_total=len(flagged),
        errors=scored["errors"],
        model=detector.version,
    )


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """Moderators sign in (accounts come from `tokenscam users add`)."""
    next_url = request.values.get("next", "")
    if not next_url.startswith("/") or next_url.startswith("//"):
        next_url = url_for("moderate.review")
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        user = store().user(username=username) if username else None
        if user is None or not verify_password(user["password_hash"], password):
            log.info("failed sign-in")
            flash("用户名或密码不正确。", "error")
            return render_template("login.html", next=next_url, username=username), 401
        session.clear()  # a new session on sign-in: no fixation
        session.permanent = True
        session["user_id"] = int(user["id"])
        log.info("moderator %s signed in", user["id"])
        return redirect(next_url)
    return render_template("login.html", next=next_url, username="")


@bp.post("/logout")
def logout() -> Response:
    session.clear()
    return redirect(url_for("moderate.index"))


def _page() -> int:
    try:
        return max(1, int(request.args.get("page", "1")))
    except ValueError:
        return 1


@bp.get("/review")
@login_required
def review() -> str:
    """Messages that landed in review, oldest first."""
    page = _page()
    s = store()
    items = s.review_items("open", _PAGE, (page - 1) * _PAGE)
    return render_template(
        "review.html", items=items, page=page, total=s.count_items("open"), per_page=_PAGE
    )


@bp.post("/review/<int:item_id>")
@login_required
def decide(item_id: int) -> Response:
    """Record a moderator's decision on one item."""
    label = request.form.get("label", "")
    note = request.form.get("note", "").strip()[:2000]
    if label not in LABELS:
        flash("请选择“是诈骗”或“不是诈骗”。", "error")
        return redirect(url_for("moderate.review"))
    s = store()
    if s.item(item_id) is None:
        abort(404)
    user = current_user()
    assert user is not None
    s.decide(item_id, int(user["id"]), label, note)
    flash(f"第 {item_id} 条已标记为{'诈骗' if label == 'scam' else '非诈骗'}。", "ok")
    return redirect(url_for("moderate.review"))


@bp.get("/review/history")
@login_required
def history() -> str:
    """Every decision, newest first."""
    page = _page()
    s = store()
    return render_template(
        "history.html",
        decisions=s.decisions(_PAGE, (page - 1) * _PAGE),
        page=page,
        total=s.count_decisions(),
        per_page=_PAGE,
    )


@bp.get("/review/export.jsonl")
@login_required
def export_decisions() -> Response:
    """All decisions as JSONL (what `tokenscam train --feedback` reads)."""
    s = store()

    def lines() -> Iterator[bytes]:
        for record in s.iter_decisions():
            yield orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE)

    return Response(
        stream_with_context(lines()),
        mimetype="application/x-ndjson",
        headers={"Content-Disposition": 'attachment; filename="decisions.jsonl"'},
    )

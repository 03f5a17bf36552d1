"""The JSON API through Flask's test client: every endpoint, every error status."""

from __future__ import annotations

import hashlib
import io
import json
import logging

import pytest

from tokenscam.settings import SettingsError

SCAM = "现在不囤词元，以后买不起！加薇信 tk_8888 私聊"
ORDINARY = "今天下午三点开会，记得带上季度报表。"
KEY = "tsk_test-key-for-partner"
KEY_SHA = hashlib.sha256(KEY.encode()).hexdigest()
TELEGRAM = "exports/telegram-json/single_chat.json"


def _error(resp, status: int, code: str) -> dict:
    assert resp.status_code == status, resp.get_data(as_text=True)
    body = resp.get_json()
    assert set(body) == {"error"} and body["error"]["code"] == code
    assert "Traceback" not in resp.get_data(as_text=True)
    return body["error"]


# --- POST /api/v1/score --------------------------------------------------------------------------


def test_score_one_message_matches_the_library(client, detector) -> None:
    resp = client.post("/api/v1/score", json={"text": SCAM})
    assert resp.status_code == 200
    body = resp.get_json()
    expected = detector.score(SCAM, explain=False)
    assert body["model"] == {"version": detector.version}
    (result,) = body["results"]
    assert result["id"] == 0
    assert result["score"] == pytest.approx(expected.score, abs=1e-6)
    assert result["verdict"] == expected.verdict == "block"
    assert [t["name"] for t in result["tactics"]] == [t.name for t in expected.tactics]
    for tactic in result["tactics"]:
        for ev in tactic["evidence"]:
            assert SCAM[ev["start"] : ev["end"]] == ev["text"]
    assert result["top_terms"] == []


def test_chinese_is_not_escaped(client) -> None:
    raw = client.post("/api/v1/score", json={"text": SCAM}).get_data()
    assert "制造紧迫".encode() in raw
    assert b"\\u" not in raw


def test_batch_keeps_order_ids_and_senders(client, detector) -> None:
    messages = [
        {"id": "m-1", "text": ORDINARY, "sender": "老王"},
        {"text": SCAM},
        {"id": 77, "text": "内部渠道三折拿货，转手就赚"},
    ]
    resp = client.post("/api/v1/score", json={"messages": messages, "explain": True})
    assert resp.status_code == 200
    results = resp.get_json()["results"]
    assert [r["id"] for r in results] == ["m-1", 1, 77]
    assert results[0]["sender"] == "老王" and "sender" not in results[1]
    expected = detector.score_many([m["text"] for m in messages], explain=True)
    for r, e in zip(results, expected, strict=True):
        assert r["score"] == pytest.approx(e.score, abs=1e-6)
        assert r["verdict"] == e.verdict
        assert [t["term"] for t in r["top_terms"]] == [t.term for t in e.top_terms]
    assert results[1]["top_terms"], "explain=true returns the terms behind the score"


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ([1, 2], "JSON object"),
        ({"text": SCAM, "extra": 1}, "unknown field"),
        ({"text": SCAM, "messages": [{"text": SCAM}]}, "exactly one"),
        ({}, "exactly one"),
        ({"text": 42}, "must be a string"),
        ({"text": "   "}, "is empty"),
        ({"messages": []}, "non-empty array"),
        ({"messages": ["just text"]}, "must be an object"),
        ({"messages": [{"id": "x"}]}, "text is missing"),
        ({"messages": [{"text": SCAM, "id": True}]}, "string or an integer"),
        ({"messages": [{"text": SCAM, "id": 1.5}]}, "string or an integer"),
        ({"messages": [{"text": SCAM, "colour": "red"}]}, "unknown field"),
        ({"messages": [{"text": SCAM, "sender": 5}]}, "sender"),
        ({"text": SCAM, "explain": "yes"}, "explain"),
    ],
)
def test_bad_fields_are_400(client, body, fragment) -> None:
    err = _error(client.post("/api/v1/score", json=body), 400, "bad_request")
    assert fragment in err["message"]


@pytest.mark.parametrize("raw", [b"{", b'{"text": "\xff\xfe"}', b"", b"NaN", b'{"text": "a"} x'])
def test_malformed_json_is_400(client, raw) -> None:
    resp = client.post("/api/v1/score", data=raw, content_type="application/json")
    _error(resp, 400, "bad_json")


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin-1"],
)
def test_not_json_is_415(client, content_type) -> None:
    resp = client.post("/api/v1/score", data=json.dumps({"text": SCAM}), content_type=content_type)
    _error(resp, 415, "unsupported_media_type")


def test_limits_are_413(make_app) -> None:
    client = make_app(MAX_MESSAGES=3, MAX_CHARS=20, MAX_UPLOAD_MB=1).test_client()
    err = _error(client.post("/api/v1/score", json={"text": "长" * 21}), 413, "too_large")
    assert "at most 20" in err["message"]
    many = {"messages": [{"text": ORDINARY[:10]}] * 4}
    _error(client.post("/api/v1/score", json=many), 413, "too_large")
    big = json.dumps({"text": "长" * 400_000}).encode()
    resp = client.post("/api/v1/score", data=big, content_type="application/json")
    _error(resp, 413, "too_large")
    # the worker is fine afterwards
    assert client.post("/api/v1/score", json={"text": ORDINARY[:10]}).status_code == 200


def test_wrong_method_is_405_with_allow(client) -> None:
    resp = client.get("/api/v1/score")
    _error(resp, 405, "method_not_allowed")
    assert "POST" in resp.headers["Allow"]
    _error(client.put("/api/v1/model"), 405, "method_not_allowed")


def test_unknown_path_is_404_json(client) -> None:
    _error(client.get("/api/v1/nothing-here"), 404, "not_found")
    _error(client.get("/nothing", headers={"Accept": "application/json"}), 404, "not_found")


def test_unexpected_error_is_500_without_details_and_masked_in_the_log(
    app, client, monkeypatch
) -> None:
    detector = app.extensions["tokenscam.detector"]
    buffer = io.StringIO()
    for handler in logging.getLogger("service").handlers:
        if isinstance(handler, logging.StreamHandler):
            monkeypatch.setattr(handler, "stream", buffer)

    def boom(*args, **kwargs):
        raise RuntimeError("exploded on 13800001234")

    monkeypatch.setattr(detector, "score", boom)
    err = _error(client.post("/api/v1/score", json={"text": SCAM}), 500, "internal_error")
    assert "13800001234" not in err["message"] and "exploded" not in err["message"]
    logged = buffer.getvalue()
    assert "exploded on 138" in logged and "13800001234" not in logged
    monkeypatch.undo()
    assert client.post("/api/v1/score", json={"text": SCAM}).status_code == 200


# --- API keys and rate limits --------------------------------------------------------------------


@pytest.fixture
def keyed(make_app):
    keys = {
        "partner": {"sha256": KEY_SHA, "rate_limit": 600},
        "reader": {"sha256": hashlib.sha256(b"tsk_reader").hexdigest(), "scopes": ["model"]},
    }
    return make_app(REQUIRE_API_KEYS=True, API_KEYS=keys, RATE_BURST=3).test_client()


def test_keys_required_means_401_without_a_valid_key(keyed) -> None:
    resp = keyed.post("/api/v1/score", json={"text": SCAM})
    _error(resp, 401, "unauthorized")
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    for header in ("Basic abc", "Bearer", "Bearer wrong-key"):
        resp = keyed.post("/api/v1/score", json={"text": SCAM}, headers={"Authorization": header})
        _error(resp, 401, "unauthorized")
    ok = keyed.post(
        "/api/v1/score", json={"text": SCAM}, headers={"Authorization": f"Bearer {KEY}"}
    )
    assert ok.status_code == 200


def test_a_key_without_the_scope_is_403(keyed) -> None:
    headers = {"Authorization": "Bearer tsk_reader"}
    _error(keyed.post("/api/v1/score", json={"text": SCAM}, headers=headers), 403, "forbidden")
    assert keyed.get("/api/v1/model", headers=headers).status_code == 200


def test_rate_limit_is_429_with_retry_after(keyed) -> None:
    headers = {"Authorization": f"Bearer {KEY}"}
    statuses = [
        keyed.post("/api/v1/score", json={"text": ORDINARY}, headers=headers).status_code
        for _ in range(3)
    ]
    assert statuses == [200, 200, 200]  # the burst
    resp = keyed.post("/api/v1/score", json={"text": ORDINARY}, headers=headers)
    _error(resp, 429, "rate_limited")
    assert int(resp.headers["Retry-After"]) >= 1
    # another key has its own bucket
    other = keyed.get("/api/v1/model", headers={"Authorization": "Bearer tsk_reader"})
    assert other.status_code == 200


def test_off_loopback_clients_need_a_key_by_default(make_app) -> None:
    client = make_app().test_client()
    local = client.post("/api/v1/score", json={"text": SCAM})
    assert local.status_code == 200
    remote = client.post(
        "/api/v1/score", json={"text": SCAM}, environ_base={"REMOTE_ADDR": "203.0.113.9"}
    )
    _error(remote, 401, "unauthorized")


def test_listening_beyond_loopback_without_keys_refuses_to_start(make_app) -> None:
    with pytest.raises(SettingsError, match="API keys"):
        make_app(HOST="0.0.0.0")
    app = make_app(HOST="0.0.0.0", API_KEYS={"p": KEY_SHA})
    resp = app.test_client().post("/api/v1/score", json={"text": SCAM})
    _error(resp, 401, "unauthorized")


# --- POST /api/v1/score/export -------------------------------------------------------------------


def test_export_upload_ranks_senders(client, fixtures) -> None:
    path = fixtures / TELEGRAM
    with path.open("rb") as fh:
        resp = client.post(
            "/api/v1/score/export",
            data={"file": (fh, "result.json")},
            content_type="multipart/form-data",
        )
    assert resp.status_code == 200, resp.get_data(as_text=True)
    body = resp.get_json()
    summary = body["summary"]
    assert summary["source_format"] == "telegram-json" and summary["source"] == "result.json"
    assert summary["counts"]["accounted"] is True
    assert summary["counts"]["scored"] == len(body["messages"]) == 9
    assert summary["senders"][0]["sender"] == "Token导师阿杰"
    pitches = [s["expected_pitches"] for s in summary["senders"]]
    assert pitches == sorted(pitches, reverse=True)
    flagged = client.post(
        "/api/v1/score/export?messages=flagged",
        data={"file": (path.open("rb"), "result.json")},
        content_type="multipart/form-data",
    ).get_json()["messages"]
    assert flagged and all(m["verdict"] != "pass" for m in flagged)


def test_export_errors(make_app, fixtures) -> None:
    client = make_app(MAX_UPLOAD_MB=1).test_client()
    url = "/api/v1/score/export"
    _error(client.post(url, json={"file": "x"}), 415, "unsupported_media_type")
    _error(client.post(url, data={}, content_type="multipart/form-data"), 400, "bad_request")
    not_export = {"file": (io.BytesIO("随便写的几句话\n没有格式".encode()), "notes.txt")}
    err = _error(
        client.post(url, data=not_export, content_type="multipart/form-data"), 400, "bad_export"
    )
    assert "not a chat export" in err["message"]
    empty = {"file": (io.BytesIO(b""), "empty.json")}
    _error(client.post(url, data=empty, content_type="multipart/form-data"), 400, "bad_export")
    unknown = {"file": (io.BytesIO(b"{}"), "a.json"), "format": "myspace"}
    _error(client.post(url, data=unknown, content_type="multipart/form-data"), 400, "bad_export")
    big = {"file": (io.BytesIO(b"x" * (1024 * 1024 + 10)), "big.txt")}
    _error(client.post(url, data=big, content_type="multipart/form-data"), 413, "too_large")
    broken = fixtures / "exports/telegram-json/truncated.json"
    resp = client.post(
        url, data={"file": (broken.open("rb"), "t.json")}, content_type="multipart/form-data"
    )
    assert resp.status_code in (200, 400)
    if resp.status_code == 400:
        assert "t.json" in resp.get_json()["error"]["message"]
        assert "/tmp" not in resp.get_json()["error"]["message"]


# --- GET /api/v1/model and storing API reviews ---------------------------------------------------


def test_model_endpoint(client, detector) -> None:
    body = client.get("/api/v1/model").get_json()
    assert body["version"] == detector.version
    assert body["thresholds"] == detector.thresholds
    assert body["card"]["sha256"] == detector.card["sha256"]
    assert body["metrics"] == detector.card["metrics"]


def _review_text(detector) -> str:
    for text in (
        "加V私聊，内部渠道三折",
        "内部渠道，私聊",
        "加我微信了解一下词元",
        "词元内部价，私聊",
    ):
        if detector.score(text).verdict == "review":
            return text
    pytest.skip("no probe message lands in review with this model")


def test_api_reviews_are_queued_only_when_enabled(make_app, detector) -> None:
    text = _review_text(detector)
    off = make_app()
    off.test_client().post("/api/v1/score", json={"text": text})
    assert off.extensions["tokenscam.store"].count_items() == 0


def test_api_reviews_keep_text_only_when_enabled(make_app, tmp_path, detector) -> None:
    text = _review_text(detector)
    app = make_app(STORE_API_REVIEWS=True, STORE_TEXT=False)
    app.test_client().post("/api/v1/score", json={"messages": [{"text": text}, {"text": ORDINARY}]})
    store = app.extensions["tokenscam.store"]
    (item,) = store.review_items()
    assert item["text"] is None and item["source"] == "api"
    assert all(not t["evidence"] for t in item["tactics"])
    raw = (tmp_path / "instance" / "tokenscam.sqlite3").read_bytes()
    assert text.encode() not in raw
    app2 = make_app(STORE_API_REVIEWS=True, STORE_TEXT=True, INSTANCE_PATH=str(tmp_path / "i2"))
    app2.test_client().post("/api/v1/score", json={"text": text})
    assert app2.extensions["tokenscam.store"].review_items()[0]["text"] == text


def test_a_queue_that_cannot_be_written_does_not_fail_scoring(
    make_app, detector, monkeypatch, caplog
) -> None:
    from tokenscam.store import StoreError

    text = _review_text(detector)
    app = make_app(STORE_API_REVIEWS=True, STORE_TEXT=True)
    store = app.extensions["tokenscam.store"]

    def broken(**_: object) -> int:
        raise StoreError("database is locked")

    monkeypatch.setattr(store, "add_review_item", broken)
    logger = logging.getLogger("service")  # does not propagate: listen to it directly
    monkeypatch.setattr(logger, "handlers", [*logger.handlers, caplog.handler])
    resp = app.test_client().post("/api/v1/score", json={"text": text})
    assert resp.status_code == 200 and resp.get_json()["results"][0]["verdict"] == "review"
    assert "could not queue a review item" in caplog.text and text not in caplog.text

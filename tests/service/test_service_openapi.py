"""The OpenAPI document: valid OpenAPI 3.1, complete, and true to what the API answers —
checked on chosen requests and on a bounded fuzz (hypothesis) that must never see a 500."""

from __future__ import annotations

import hashlib
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openapi_spec_validator import validate
from service_helpers import check_against_openapi

SCAM = "现在不囤词元，以后买不起！加薇信 tk_8888 私聊"
KEY = "tsk_openapi"


@pytest.fixture
def doc(client):
    resp = client.get("/api/v1/openapi.json")
    assert resp.status_code == 200
    return resp.get_json()


def test_document_is_valid_openapi_3_1(doc) -> None:
    assert doc["openapi"].startswith("3.1")
    validate(doc)


def test_document_describes_every_route(app, doc) -> None:
    routes = {
        r.rule
        for r in app.url_map.iter_rules()
        if r.rule.startswith(("/api/", "/healthz", "/readyz", "/metrics"))
    }
    assert routes == set(doc["paths"])
    for rule in app.url_map.iter_rules():
        if rule.rule in doc["paths"]:
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                assert method.lower() in doc["paths"][rule.rule], (rule.rule, method)


def test_limits_in_the_document_follow_the_settings(make_app) -> None:
    doc = (
        make_app(MAX_MESSAGES=7, MAX_CHARS=99).test_client().get("/api/v1/openapi.json").get_json()
    )
    batch = doc["components"]["schemas"]["ScoreRequest"]["oneOf"][1]
    assert batch["properties"]["messages"]["maxItems"] == 7
    assert doc["components"]["schemas"]["Message"]["properties"]["text"]["maxLength"] == 99


def test_chosen_responses_match_the_document(make_app, fixtures) -> None:
    keys = {
        "p": {"sha256": hashlib.sha256(KEY.encode()).hexdigest()},
        "m": {"sha256": hashlib.sha256(b"tsk_m").hexdigest(), "scopes": ["model"]},
    }
    client = make_app(API_KEYS=keys, RATE_BURST=2, MAX_MESSAGES=2).test_client()
    doc = client.get("/api/v1/openapi.json").get_json()
    auth = {"Authorization": f"Bearer {KEY}"}
    cases = [
        ("/api/v1/score", "post", client.post("/api/v1/score", json={"text": SCAM})),
        (
            "/api/v1/score",
            "post",
            client.post(
                "/api/v1/score",
                json={"messages": [{"id": "a", "text": SCAM, "sender": "s"}], "explain": True},
            ),
        ),
        ("/api/v1/score", "post", client.post("/api/v1/score", json={"text": ""})),
        (
            "/api/v1/score",
            "post",
            client.post("/api/v1/score", data="{", content_type="application/json"),
        ),
        (
            "/api/v1/score",
            "post",
            client.post("/api/v1/score", data="x", content_type="text/plain"),
        ),
        (
            "/api/v1/score",
            "post",
            client.post("/api/v1/score", json={"messages": [{"text": "a"}] * 3}),
        ),
        (
            "/api/v1/score",
            "post",
            client.post(
                "/api/v1/score", json={"text": SCAM}, headers={"Authorization": "Bearer no"}
            ),
        ),
        (
            "/api/v1/score",
            "post",
            client.post(
                "/api/v1/score", json={"text": SCAM}, headers={"Authorization": "Bearer tsk_m"}
            ),
        ),
        ("/api/v1/score", "get", client.get("/api/v1/score")),
        ("/api/v1/model", "get", client.get("/api/v1/model")),
        ("/healthz", "get", client.get("/healthz")),
        ("/readyz", "get", client.get("/readyz")),
        (
            "/api/v1/score/export",
            "post",
            client.post(
                "/api/v1/score/export",
                data={
                    "file": (
                        (fixtures / "exports/telegram-json/single_chat.json").open("rb"),
                        "r.json",
                    )
                },
                content_type="multipart/form-data",
            ),
        ),
        (
            "/api/v1/score/export",
            "post",
            client.post(
                "/api/v1/score/export",
                data={"file": (io.BytesIO(b"hello"), "a.txt")},
                content_type="multipart/form-data",
            ),
        ),
        ("/api/v1/score/export", "post", client.post("/api/v1/score/export", json={})),
    ]
    for _ in range(3):
        last = client.post("/api/v1/score", json={"text": SCAM}, headers=auth)
    assert last.status_code == 429
    cases.append(("/api/v1/score", "post", last))
    seen = set()
    for path, method, resp in cases:
        assert str(resp.status_code) in doc["paths"][path][method]["responses"], (
            path,
            resp.status_code,
        )
        check_against_openapi(doc, path, method, resp.status_code, resp.get_json())
        seen.add(resp.status_code)
    assert {200, 400, 401, 403, 405, 413, 415, 429} <= seen


# --- bounded fuzz ------------------------------------------------------------------------------

_scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30)
)
_json = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
_message = st.fixed_dictionaries(
    {},
    optional={
        "id": st.integers() | st.text(max_size=250) | _scalars,
        "text": st.text(max_size=60) | _scalars,
        "sender": st.text(max_size=10) | _scalars,
        "extra": _scalars,
    },
)
_body = st.one_of(
    _json,
    st.fixed_dictionaries({"text": st.text(max_size=80)}, optional={"explain": _scalars}),
    st.fixed_dictionaries(
        {"messages": st.lists(_message, max_size=5)}, optional={"explain": st.booleans()}
    ),
    st.dictionaries(st.sampled_from(["text", "messages", "explain", "x"]), _json, max_size=3),
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=_body)
def test_fuzzed_json_bodies_never_500(client, doc, body) -> None:
    resp = client.post("/api/v1/score", json=body)
    assert resp.status_code != 500
    assert str(resp.status_code) in doc["paths"]["/api/v1/score"]["post"]["responses"]
    check_against_openapi(doc, "/api/v1/score", "post", resp.status_code, resp.get_json())


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    raw=st.binary(max_size=200),
    content_type=st.sampled_from(
        [
            "application/json",
            "text/plain",
            "application/json; charset=utf-16",
            "multipart/form-data",
            "",
        ]
    ),
    path=st.sampled_from(["/api/v1/score", "/api/v1/score/export"]),
    authorization=st.none()
    | st.text(max_size=20).filter(lambda s: "\n" not in s and "\r" not in s),
)
def test_fuzzed_raw_requests_never_500(client, doc, raw, content_type, path, authorization) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    try:
        resp = client.post(path, data=raw, content_type=content_type, headers=headers)
    except ValueError:
        return  # the test client refuses to build this header; a server would never see it
    assert resp.status_code != 500
    assert str(resp.status_code) in doc["paths"][path]["post"]["responses"], resp.status_code
    check_against_openapi(doc, path, "post", resp.status_code, resp.get_json())

"""/healthz, /readyz and /metrics."""

from __future__ import annotations

import re

SCAM = "现在不囤词元，以后买不起！加薇信 tk_8888 私聊"


def test_health_and_ready(client, app) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json() == {"status": "ready", "model": "0.1.0", "database": True}


def test_not_ready_when_the_database_is_gone(client, app, monkeypatch) -> None:
    store = app.extensions["tokenscam.store"]
    monkeypatch.setattr(store, "ping", lambda: False)
    resp = client.get("/readyz")
    assert resp.status_code == 503 and resp.get_json()["status"] == "not ready"


def _value(text: str, name: str, **labels: str) -> float:
    for line in text.splitlines():
        if not line.startswith(name + "{"):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line[len(name) : line.index("}") + 1]))
        if all(found.get(k) == v for k, v in labels.items()) and set(found) == set(labels):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_count_requests_latency_and_verdicts(client) -> None:
    for _ in range(3):
        client.post("/api/v1/score", json={"text": SCAM})
    client.post("/api/v1/score", json={"messages": [{"text": "今天开会"}, {"text": SCAM}]})
    client.post("/api/v1/score", data="{", content_type="application/json")
    client.get("/nowhere")
    resp = client.get("/metrics")
    assert resp.status_code == 200 and resp.mimetype == "text/plain"
    text = resp.get_data(as_text=True)
    ok = {"endpoint": "/api/v1/score", "method": "POST", "status": "200"}
    assert _value(text, "tokenscam_http_requests_total", **ok) == 4
    assert _value(text, "tokenscam_http_requests_total", **{**ok, "status": "400"}) == 1
    assert (
        _value(
            text,
            "tokenscam_http_requests_total",
            endpoint="(unmatched)",
            method="GET",
            status="404",
        )
        == 1
    )
    assert _value(text, "tokenscam_http_request_duration_seconds_count", **ok) == 4
    assert _value(text, "tokenscam_http_request_duration_seconds_bucket", **ok, le="+Inf") == 4
    assert _value(text, "tokenscam_http_request_duration_seconds_sum", **ok) > 0
    assert _value(text, "tokenscam_verdicts_total", verdict="block", source="api") == 4
    assert _value(text, "tokenscam_verdicts_total", verdict="pass", source="api") == 1
    assert 'tokenscam_model_info{version="0.1.0"} 1' in text
    # buckets are cumulative
    buckets = [
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("tokenscam_http_request_duration_seconds_bucket")
        and 'endpoint="/api/v1/score"' in line
        and 'status="200"' in line
    ]
    assert buckets == sorted(buckets)


def test_metrics_add_up_other_workers_snapshots(app, client) -> None:
    metrics = app.extensions["tokenscam.metrics"]
    other = metrics.directory / "999999.json"
    metrics.directory.mkdir(parents=True, exist_ok=True)
    other.write_text(
        '{"requests": [["/api/v1/score", "POST", "200", [5, 0.01, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]]],'
        ' "verdicts": [["pass", "api", 5]]}',
        encoding="utf-8",
    )
    client.post("/api/v1/score", json={"text": "今天开会"})
    text = client.get("/metrics").get_data(as_text=True)
    ok = {"endpoint": "/api/v1/score", "method": "POST", "status": "200"}
    assert _value(text, "tokenscam_http_requests_total", **ok) == 6
    assert _value(text, "tokenscam_verdicts_total", verdict="pass", source="api") == 6
    (metrics.directory / "broken.json").write_text("{not json", encoding="utf-8")
    assert client.get("/metrics").status_code == 200

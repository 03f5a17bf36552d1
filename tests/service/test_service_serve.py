"""The real server: `tokenscam serve` (gunicorn) on a free loopback port, spoken to over HTTP."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import urllib.error
import urllib.request

import pytest
from service_helpers import LiveServer

SCAM = "现在不囤词元，以后买不起！加薇信 tk_8888 私聊"


def _request(url: str, data: bytes | None = None, content_type: str = "application/json"):
    req = urllib.request.Request(url, data=data, headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def test_serve_answers_over_http_and_stops(tmp_path, detector) -> None:
    server = LiveServer(tmp_path / "instance", workers=1)
    try:
        server.wait_ready()
        body = json.dumps({"text": SCAM}, ensure_ascii=False).encode()
        status, headers, raw = _request(server.url + "/api/v1/score", body)
        assert status == 200, raw
        assert headers["Content-Type"] == "application/json"
        assert "词元".encode() in raw or "薇信".encode() in raw  # Chinese is sent as UTF-8
        (result,) = json.loads(raw)["results"]
        expected = detector.score(SCAM, explain=False)
        assert result["score"] == pytest.approx(expected.score, abs=1e-6)
        assert result["verdict"] == expected.verdict
        assert {t["name"] for t in result["tactics"]} == {t.name for t in expected.tactics}

        status, _, raw = _request(server.url + "/api/v1/score", b'{"text": ')
        assert status == 400 and json.loads(raw)["error"]["code"] == "bad_json"
        status, _, raw = _request(server.url + "/api/v1/score", b"text=1", "text/plain")
        assert status == 415 and json.loads(raw)["error"]["code"] == "unsupported_media_type"

        status, headers, raw = _request(server.url + "/")
        assert status == 200 and "检测消息" in raw.decode()
        assert "default-src 'none'" in headers["Content-Security-Policy"]

        status, _, raw = _request(server.url + "/metrics")
        assert status == 200
        assert b'tokenscam_http_requests_total{endpoint="/api/v1/score",method="POST"' in raw
    finally:
        code = server.stop()
    assert code == 0, server.log.read_text()
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", server.port), 1):
        pass
    # the log says what it served, never the message text
    log = server.log.read_text()
    assert "tokenscam service ready" in log and "词元" not in log


def test_serve_beyond_loopback_without_keys_refuses_to_start(tmp_path) -> None:
    env = {"TOKENSCAM_INSTANCE_PATH": str(tmp_path / "instance"), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-m", "tokenscam", "serve", "--host", "0.0.0.0", "--port", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "configure API keys" in done.stderr


def test_dev_mode_is_loopback_only(tmp_path) -> None:
    env = {"TOKENSCAM_INSTANCE_PATH": str(tmp_path / "instance"), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-m", "tokenscam", "serve", "--dev", "--host", "0.0.0.0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "loopback only" in done.stderr

"""Helpers for the service tests (plain functions; the fixtures live in conftest.py)."""

from __future__ import annotations

import re
from typing import Any

from jsonschema import Draft202012Validator

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "page has no CSRF token"
    return found.group(1)


def login(client: Any, username: str, password: str) -> Any:
    token = csrf(client.get("/login").get_data(as_text=True))
    return client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}
    )


def response_schema(doc: dict[str, Any], path: str, method: str, status: int) -> dict[str, Any]:
    """The JSON schema the OpenAPI document gives for this response (with its components)."""
    operation = doc["paths"][path][method.lower()]
    response = operation["responses"][str(status)]
    content = response["content"]
    schema = next(iter(content.values()))["schema"]
    return {**schema, "components": doc["components"]}


def check_against_openapi(
    doc: dict[str, Any], path: str, method: str, status: int, body: Any
) -> None:
    """Fail unless the documented schema for (path, method, status) accepts ``body``."""
    schema = response_schema(doc, path, method, status)
    errors = sorted(Draft202012Validator(schema).iter_errors(body), key=str)
    assert not errors, f"{method} {path} {status}: {errors[0].message}"


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    """``tokenscam serve`` in a child process on a free loopback port (gunicorn, the real CLI)."""

    def __init__(self, instance: Any, workers: int = 1, **settings: str) -> None:
        import os
        import subprocess
        import sys

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.instance = instance
        self.env = {**os.environ, "TOKENSCAM_INSTANCE_PATH": str(instance)}
        self.env.pop("TOKENSCAM_CONFIG", None)
        self.env.update({f"TOKENSCAM_{k}": v for k, v in settings.items()})
        argv = [sys.executable, "-m", "tokenscam", "serve", "--port", str(self.port)]
        self.log = instance.parent / f"serve-{self.port}.log"
        instance.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [*argv, "--workers", str(workers)], env=self.env, stdout=out, stderr=out
            )

    def wait_ready(self, timeout: float = 60.0) -> None:
        import time
        import urllib.request

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"tokenscam serve exited: {self.log.read_text()}")
            try:
                with urllib.request.urlopen(self.url + "/readyz", timeout=2) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise AssertionError(f"tokenscam serve not ready in {timeout} s: {self.log.read_text()}")

    def stop(self) -> int:
        import signal
        import subprocess

        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return int(self.proc.returncode)

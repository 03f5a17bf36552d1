"""Prometheus metrics: requests and latency by endpoint and status, verdicts, the model.

Each worker counts in memory and writes a snapshot to ``<instance>/metrics/<pid>.json`` at most
once a second (and at exit); ``/metrics`` adds every worker's snapshot to its own live counts.
Snapshots of workers that were replaced stay, so counters never go backwards while the server
runs; ``tokenscam serve`` clears the folder when it starts.
"""

from __future__ import annotations

import atexit
import bisect
import json
import os
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, g, request

__all__ = ["Metrics", "init_app", "get_metrics", "BUCKETS", "clear"]

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_FLUSH_SECONDS = 1.0


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


class Metrics:
    def __init__(self, directory: Path, model_version: str) -> None:
        self.directory = directory
        self.model_version = model_version
        self._reset()

    def _reset(self) -> None:
        self.pid = os.getpid()
        # (endpoint, method, status) -> [count, sum, bucket counts...]
        self.requests: dict[tuple[str, str, str], list[float]] = {}
        self.verdicts: dict[tuple[str, str], int] = defaultdict(int)
        self._flushed = 0.0

    def _mine(self) -> None:
        if self.pid != os.getpid():  # a forked worker starts from zero, not the master's counts
            self._reset()

    def observe(self, endpoint: str, method: str, status: int, seconds: float) -> None:
        self._mine()
        key = (endpoint, method, str(status))
        cell = self.requests.get(key)
        if cell is None:
            cell = self.requests[key] = [0.0, 0.0] + [0.0] * len(BUCKETS)
        cell[0] += 1
        cell[1] += seconds
        i = bisect.bisect_left(BUCKETS, seconds)
        if i < len(BUCKETS):
            cell[2 + i] += 1
        now = time.monotonic()
        if now - self._flushed >= _FLUSH_SECONDS:
            self.flush(now)

    def count_verdict(self, verdict: str, source: str, n: int = 1) -> None:
        self._mine()
        self.verdicts[(verdict, source)] += n

    def snapshot(self) -> dict[str, Any]:
        return {
            "requests": [[*k, v] for k, v in self.requests.items()],
            "verdicts": [[*k, v] for k, v in self.verdicts.items()],
        }

    def flush(self, now: float | None = None) -> None:
        self._mine()
        self._flushed = time.monotonic() if now is None else now
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            tmp = self.directory / f".{self.pid}.tmp"
            tmp.write_text(json.dumps(self.snapshot()), encoding="utf-8")
            os.replace(tmp, self.directory / f"{self.pid}.json")
        except OSError:
            pass  # metrics must never fail a request

    def _merged(self) -> tuple[dict[tuple[str, ...], list[float]], dict[tuple[str, ...], int]]:
        self._mine()
        requests: dict[tuple[str, ...], list[float]] = {}
        verdicts: dict[tuple[str, ...], int] = defaultdict(int)
        snapshots = [self.snapshot()]
        for path in self.directory.glob("*.json"):
            if path.stem == str(self.pid):
                continue
            try:
                snapshots.append(json.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError):
                continue
        for snap in snapshots:
            for *key, values in snap.get("requests", []):
                cell = requests.setdefault(tuple(key), [0.0] * (2 + len(BUCKETS)))
                for i, v in enumerate(values):
                    cell[i] += v
            for *key, n in snap.get("verdicts", []):
                verdicts[tuple(key)] += int(n)
        return requests, verdicts

    def render(self) -> str:
        requests, verdicts = self._merged()
        out = [
            "# HELP tokenscam_http_requests_total HTTP requests by endpoint, method and status.",
            "# TYPE tokenscam_http_requests_total counter",
        ]
        for (ep, method, status), cell in sorted(requests.items()):
            labels = f'endpoint="{_escape(ep)}",method="{method}",status="{status}"'
            out.append(f"tokenscam_http_requests_total{{{labels}}} {int(cell[0])}")
        out += [
            "# HELP tokenscam_http_request_duration_seconds Time to answer, by endpoint, "
            "method and status.",
            "# TYPE tokenscam_http_request_duration_seconds histogram",
        ]
        for (ep, method, status), cell in sorted(requests.items()):
            labels = f'endpoint="{_escape(ep)}",method="{method}",status="{status}"'
            cumulative = 0.0
            for bound, n in zip(BUCKETS, cell[2:], strict=True):
                cumulative += n
                out.append(
                    f'tokenscam_http_request_duration_seconds_bucket{{{labels},le="{bound}"}} '
                    f"{int(cumulative)}"
                )
            out.append(
                f'tokenscam_http_request_duration_seconds_bucket{{{labels},le="+Inf"}} '
                f"{int(cell[0])}"
            )
            out.append(f"tokenscam_http_request_duration_seconds_sum{{{labels}}} {cell[1]:.6f}")
            out.append(f"tokenscam_http_request_duration_seconds_count{{{labels}}} {int(cell[0])}")
        out += [
            "# HELP tokenscam_verdicts_total Messages scored, by verdict and where they came from.",
            "# TYPE tokenscam_verdicts_total counter",
        ]
        for (verdict, source), n in sorted(verdicts.items()):
            out.append(f'tokenscam_verdicts_total{{verdict="{verdict}",source="{source}"}} {n}')
        out += [
            "# HELP tokenscam_model_info The model being served.",
            "# TYPE tokenscam_model_info gauge",
            f'tokenscam_model_info{{version="{_escape(self.model_version)}"}} 1',
        ]
        return "\n".join(out) + "\n"


def clear(directory: Path) -> None:
    """Forget the snapshots of a previous run (called once when a server starts)."""
    for path in directory.glob("*.json"):
        try:
            path.unlink()
        except OSError:
            pass


def init_app(app: Flask) -> None:
    detector = app.extensions["tokenscam.detector"]
    metrics = Metrics(Path(app.instance_path) / "metrics", detector.version)
    app.extensions["tokenscam.metrics"] = metrics
    atexit.register(metrics.flush)

    @app.before_request
    def _start() -> None:
        g.t0 = time.perf_counter()

    @app.after_request
    def _observe(resp: Response) -> Response:
        t0 = g.get("t0")
        if t0 is not None:
            rule = request.url_rule
            endpoint = rule.rule if rule is not None else "(unmatched)"
            metrics.observe(endpoint, request.method, resp.status_code, time.perf_counter() - t0)
        return resp


def get_metrics() -> Metrics:
    return current_app.extensions["tokenscam.metrics"]

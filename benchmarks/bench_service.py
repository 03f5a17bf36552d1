"""The HTTP service under load: single-message ``POST /api/v1/score`` with wrk on loopback.

Usage: python benchmarks/bench_service.py [SECONDS] [REPEATS] [WORKERS]   (default 15 3 2)

Starts ``tokenscam serve`` (gunicorn, WORKERS sync workers, a throw-away instance folder) on a
free loopback port, warms it up, then runs ``wrk -t1 -c8 -dSECONDS --latency`` REPEATS times.
Each request posts one real message (1,000 of them, rotated by the Lua script); the texts are
read from ../shared at run time and written only to a temporary file. Reports requests/s,
p50 / p90 / p99 latency, the CPU the server got and the machine's load average; the figure to
quote is the median over repeats. wrk shares the machine's cores with the server, as in
../shared/docs/performance-notes.md.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from _common import ROOT, machine, real_texts

_UNIT = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def lua_string(value: str) -> str:
    """A Lua string literal: printable ASCII as is, every other byte as a decimal escape."""
    out = []
    for b in value.encode("utf-8"):
        ch = chr(b)
        out.append(ch if 32 <= b < 127 and ch not in '"\\' else f"\\{b:03d}")
    return '"' + "".join(out) + '"'


def lua_script(texts: list[str]) -> str:
    bodies = [lua_string(json.dumps({"text": t}, ensure_ascii=False)) for t in texts]
    return (
        "local bodies = {\n" + ",\n".join(bodies) + "\n}\n"
        "local i = 0\n"
        'wrk.method = "POST"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        "request = function()\n"
        "  i = i % #bodies + 1\n"
        "  return wrk.format(nil, nil, nil, bodies[i])\n"
        "end\n"
    )


def ms(value: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s)", value)
    if not m:
        raise ValueError(f"cannot read wrk latency {value!r}")
    return float(m.group(1)) * _UNIT[m.group(2)]


def parse_wrk(out: str) -> dict[str, float]:
    got: dict[str, float] = {}
    for pct in ("50", "90", "99"):
        m = re.search(rf"^\s+{pct}(?:\.0+)?%\s+(\S+)", out, re.M)
        if m:
            got[f"p{pct}"] = ms(m.group(1))
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    got["rps"] = float(m.group(1)) if m else 0.0
    m = re.search(r"(\d+) requests in", out)
    got["requests"] = float(m.group(1)) if m else 0.0
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    got["non2xx"] = float(m.group(1)) if m else 0.0
    m = re.search(r"Socket errors: (.*)", out)
    got["socket_errors"] = 1.0 if m else 0.0
    return got


def cpu_seconds(pids: list[int]) -> float:
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def server_pids(master: int) -> list[int]:
    out = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(master)], capture_output=True, text=True
    ).stdout
    return [master] + [int(p) for p in out.split()]


def main() -> None:
    seconds = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    workers = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="tokenscam-bench-") as tmp:
        script = Path(tmp) / "score.lua"
        script.write_text(lua_script(real_texts(1000)), encoding="utf-8")
        env = {**os.environ, "TOKENSCAM_INSTANCE_PATH": str(Path(tmp) / "instance")}
        exe = Path(sys.executable).with_name("tokenscam")
        server = subprocess.Popen(
            [str(exe), "serve", "--port", str(port), "--workers", str(workers)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(f"{url}/readyz", timeout=1) as r:
                        if r.status == 200:
                            break
                except OSError:
                    pass
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("the server did not start")
                time.sleep(0.2)
            pids = server_pids(server.pid)
            target = f"{url}/api/v1/score"
            base = [wrk, "-t1", "-c8", "--latency", "-s", str(script)]
            subprocess.run([*base, "-d3s", target], capture_output=True, check=True)  # warm-up
            print(
                f"# POST /api/v1/score, one real message per request; wrk -t1 -c8 -d{seconds}s "
                f"--latency; gunicorn {workers} sync workers; {machine()}"
            )
            runs = []
            for _ in range(repeats):
                load = os.getloadavg()[0]
                cpu0, t0 = cpu_seconds(pids), time.monotonic()
                out = subprocess.run(
                    [*base, f"-d{seconds}s", target], capture_output=True, text=True, check=True
                ).stdout
                cores = (cpu_seconds(pids) - cpu0) / (time.monotonic() - t0)
                got = parse_wrk(out)
                got["cores"], got["load"] = cores, load
                runs.append(got)
                print(
                    f"{got['rps']:8,.0f} req/s  p50 {got.get('p50', 0):.2f} ms  "
                    f"p90 {got.get('p90', 0):.2f} ms  p99 {got.get('p99', 0):.2f} ms  "
                    f"server {cores:.2f} cores ({cores / max(got['rps'], 1) * 1e6:.0f} µs CPU "
                    f"a request)  load avg {load:.2f}  "
                    f"non-2xx {got['non2xx']:.0f}"
                )
            if any(r["non2xx"] or r["socket_errors"] for r in runs):
                print("INVALID: some requests failed (non-2xx or socket errors)")
            med = {k: statistics.median(r[k] for r in runs) for k in ("rps", "p50", "p99")}
            print(
                f"median: {med['rps']:,.0f} req/s, p50 {med['p50']:.2f} ms, p99 {med['p99']:.2f} ms"
            )
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(20)
            except subprocess.TimeoutExpired:
                server.kill()


if __name__ == "__main__":
    main()

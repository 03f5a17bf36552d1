"""End-to-end batch throughput of `tokenscam score --input FILE --output FILE`.

Usage: python benchmarks/bench_batch.py [N_MESSAGES] [REPEATS]

Writes N real short messages (from ../shared/data/external, cycled) to a temporary JSONL file and
times the whole command — process start, model load, reading, scoring, writing — for -j 1 and
-j 2 (the default on this machine). Reports the median of REPEATS runs.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import machine, real_texts


def run(src: Path, dst: Path, jobs: int) -> float:
    cmd = [
        sys.executable,
        "-m",
        "tokenscam",
        "score",
        "--input",
        str(src),
        "--output",
        str(dst),
        "-j",
        str(jobs),
    ]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - t0


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    texts = real_texts(n)
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.jsonl", Path(tmp) / "out.jsonl"
        with src.open("w", encoding="utf-8") as fh:
            for i, t in enumerate(texts):
                fh.write(json.dumps({"id": i, "text": t}, ensure_ascii=False) + "\n")
        mean_chars = sum(map(len, texts)) / len(texts)
        print(f"# batch scoring, {n} messages (mean {mean_chars:.0f} chars), {machine()}")
        for jobs in (1, 2):
            times = [run(src, dst, jobs) for _ in range(repeats)]
            med = statistics.median(times)
            rows = sum(1 for _ in dst.open(encoding="utf-8"))
            assert rows == n, f"expected {n} output rows, got {rows}"
            print(
                f"-j {jobs}: median {med:.2f} s over {repeats} runs -> {n / med:,.0f} messages/s end to end"
            )


if __name__ == "__main__":
    main()

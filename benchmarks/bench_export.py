"""End-to-end scoring of a large chat export: throughput and peak memory.

Usage: python benchmarks/bench_export.py [N_MESSAGES] [FORMAT]     (FORMAT: telegram | memotrace)

Builds an export of N messages (real short texts from ../shared/data/external, cycled; senders and
times invented) in a temporary directory, then times
`tokenscam score --input EXPORT --output OUT.jsonl --summary SUMMARY.json` in a fresh process and
reports messages/s and the peak resident memory of the whole process tree.
"""

from __future__ import annotations

import csv
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import machine, real_texts

BASE_EPOCH = 1_780_000_000


def senders(n: int) -> list[int]:
    """Who sends each message: 5,000 members, a few of them very active (as in real groups)."""
    rng = random.Random(42)
    return [int(5000 * rng.random() ** 3) for _ in range(n)]


def write_telegram(path: Path, texts: list[str]) -> None:
    who = senders(len(texts))
    with path.open("w", encoding="utf-8") as fh:
        fh.write(
            '{\n "name": "bench group",\n "type": "private_supergroup",\n "id": 777,\n "messages": [\n'
        )
        for i, t in enumerate(texts):
            msg = {
                "id": i + 1,
                "type": "message",
                "date": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(BASE_EPOCH + i)),
                "date_unixtime": str(BASE_EPOCH + i),
                "from": f"member {who[i]}",
                "from_id": f"user{who[i]}",
                "text": t,
                "text_entities": [{"type": "plain", "text": t}],
            }
            fh.write(("  " if i == 0 else "  ,") + json.dumps(msg, ensure_ascii=False) + "\n")
        fh.write(" ]\n}\n")


def write_memotrace(path: Path, texts: list[str]) -> None:
    who = senders(len(texts))
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(
            [
                "localId",
                "TalkerId",
                "Type",
                "SubType",
                "IsSender",
                "CreateTime",
                "Status",
                "StrContent",
                "StrTime",
                "Remark",
                "NickName",
                "Sender",
            ]
        )
        for i, t in enumerate(texts):
            ts = BASE_EPOCH + i
            w.writerow(
                [
                    i + 1,
                    3,
                    1,
                    0,
                    0,
                    ts,
                    2,
                    t,
                    time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ts)),
                    f"群友{who[i]}",
                    f"nick{who[i]}",
                    f"wxid_{who[i]:05d}",
                ]
            )


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    fmt = sys.argv[2] if len(sys.argv) > 2 else "telegram"
    texts = real_texts(n)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / ("result.json" if fmt == "telegram" else "messages_utf8.csv")
        (write_telegram if fmt == "telegram" else write_memotrace)(src, texts)
        out, summary = Path(tmp) / "out.jsonl", Path(tmp) / "summary.json"
        cmd = [
            sys.executable,
            "-m",
            "tokenscam",
            "score",
            "--input",
            str(src),
            "--output",
            str(out),
            "--summary",
            str(summary),
        ]
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        elapsed = time.perf_counter() - t0
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        counts = json.loads(summary.read_text(encoding="utf-8"))["counts"]
        assert counts["scored"] == n, counts
        size_mb = src.stat().st_size / 1e6
        print(f"# {fmt} export, {n:,} messages, {size_mb:,.0f} MB, {machine()}")
        print(
            f"{elapsed:.1f} s end to end -> {n / elapsed:,.0f} messages/s; "
            f"peak RSS of the largest process {peak_mb:,.0f} MB"
        )


if __name__ == "__main__":
    main()

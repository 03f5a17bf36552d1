"""Spark local[2] against the single-process batch CLI, on the same messages.

Usage: python benchmarks/bench_spark.py [N_MESSAGES] [REPEATS] [PARTS]

Writes N real short messages (from ../shared/data/external, cycled) twice into a temporary
directory — as PARTS Parquet files (what a platform's message history looks like) and as one
JSONL file — then times two commands end to end in fresh processes, each the median of REPEATS:

  tokenscam score -j 1 --input in.jsonl --output out.jsonl
  tokenscam spark-score --master 'local[2]' --input in.parquet/ --output out/

The Spark figure includes starting the JVM and the Python workers, shipping and verifying the
model, and writing Parquet partitions plus the counts. The ratio Spark/batch is what the Spark
issue's floor (>= 60 %) is about. Last, a warm session scores the Parquet input twice more into
Spark's noop sink: the second run's rate per core is the steady state a cluster multiplies.
CPU seconds (the batch command's, and the JVM's plus its Python workers' in the warm job) do not
depend on what else the machine is running, unlike wall time.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from _common import machine, real_texts

BIN = Path(sys.executable).parent


def _timed(cmd: list[str], env: dict[str, str], ok: tuple[int, ...] = (0,)) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - t0
    if proc.returncode not in ok:
        raise SystemExit(f"{cmd[0]} exited {proc.returncode}:\n{proc.stderr[-3000:]}")
    return elapsed


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _tree_cpu(root: int) -> float:
    """CPU seconds of a process and all its descendants, live or reaped (Linux /proc)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            parents.setdefault(ppid, []).append(int(entry.name))
    total, todo, hz = 0.0, [root], os.sysconf("SC_CLK_TCK")
    while todo:
        pid = todo.pop()
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(f) for f in fields[11:15]) / hz  # utime stime cutime cstime
        todo += parents.get(pid, [])
    return total


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    parts = int(sys.argv[3]) if len(sys.argv) > 3 else 8
    texts = real_texts(n)
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        jsonl, parquet = root / "in.jsonl", root / "in.parquet"
        with jsonl.open("w", encoding="utf-8") as fh:
            for i, t in enumerate(texts):
                fh.write(json.dumps({"id": i, "text": t}, ensure_ascii=False) + "\n")
        parquet.mkdir()
        per = -(-n // parts)
        for k in range(parts):
            lo, hi = k * per, min(n, (k + 1) * per)
            table = pa.table({"id": pa.array(range(lo, hi), pa.int64()), "text": texts[lo:hi]})
            pq.write_table(table, parquet / f"part-{k:05d}.parquet")
        mean_chars = sum(map(len, texts)) / len(texts)
        print(f"# Spark local[2] vs batch -j 1, {n:,} messages (mean {mean_chars:.0f} chars)")
        print(f"# {machine()}; Parquet input: {parts} files")

        batch_cmd = [str(BIN / "tokenscam"), "score", "-j", "1", "--input", str(jsonl)]
        spark_cmd = [str(BIN / "tokenscam"), "spark-score", "--master", "local[2]"]
        batch, spark, batch_cpu = [], [], []
        print(f"# load average before: {os.getloadavg()[0]:.1f}")
        for r in range(repeats):  # interleaved, so both see the same background load
            out = root / f"out-{r}.jsonl"
            cpu0 = _children_cpu()
            batch.append(_timed([*batch_cmd, "--output", str(out)], env))
            batch_cpu.append(_children_cpu() - cpu0)
            rows = sum(1 for _ in out.open(encoding="utf-8"))
            assert rows == n, f"batch: expected {n} rows, got {rows}"
            out.unlink()

            out = root / f"spark-{r}"
            spark.append(_timed([*spark_cmd, "--input", str(parquet), "--output", str(out)], env))
            counts = json.loads(next((out / "counts").glob("part-*")).read_text("utf-8"))
            assert counts["read"] == n and counts["scored"] == n, counts
            written = sum(pq.read_metadata(f).num_rows for f in (out / "scored").glob("*.parquet"))
            assert written == n, f"spark: expected {n} rows, got {written}"
            shutil.rmtree(out)
        print(f"# load average after: {os.getloadavg()[0]:.1f}")

        warm, warm_cpu = _warm_job(parquet)

        b, s = statistics.median(batch), statistics.median(spark)
        print(f"batch -j 1:       median {b:.1f} s of {[round(t, 1) for t in batch]}")
        print(f"spark local[2]:   median {s:.1f} s of {[round(t, 1) for t in spark]}")
        print(f"batch -j 1:       {n / b:,.0f} messages/s")
        print(f"spark local[2]:   {n / s:,.0f} messages/s ({n / s / 2:,.0f} per core)")
        print(f"ratio spark/batch: {b / s:.0%} (floor 60 %)")
        print(
            f"spark local[2], warm session, scoring only (noop sink): {warm:.1f} s -> "
            f"{n / warm:,.0f} messages/s ({n / warm / 2:,.0f} per core)"
        )
        bc = statistics.median(batch_cpu)
        print(f"CPU seconds per 1M messages: batch -j 1 (whole command) {bc * 1e6 / n:.0f}")
        print(
            f"CPU seconds per 1M messages: spark warm job (JVM + workers) {warm_cpu * 1e6 / n:.0f}"
        )
        print(f"spark per CPU-second: {n / warm_cpu:,.0f} messages (batch: {n / bc:,.0f})")


def _warm_job(parquet: Path) -> tuple[float, float]:
    """The steady state a cluster multiplies: a second scoring job in a running session (JVM and
    Python workers up, model loaded), results discarded by Spark's noop sink."""
    import warnings

    from tokenscam import spark as tspark

    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
    session = tspark.spark_session("local[2]", "tokenscam-bench")
    try:
        df = session.read.parquet(str(parquet))
        jvm = session.sparkContext._gateway.proc.pid  # its descendants are the Python workers
        for _ in range(2):
            cpu0, t0 = _tree_cpu(jvm), time.perf_counter()
            tspark.score_dataframe(df).write.format("noop").mode("overwrite").save()
            wall, cpu = time.perf_counter() - t0, _tree_cpu(jvm) - cpu0
        return wall, cpu
    finally:
        session.stop()


if __name__ == "__main__":
    main()

"""Single-message latency in process: `Detector.score(text)`.

Usage: python benchmarks/bench_single.py [N_MESSAGES]

Scores N real messages one at a time, with and without explanations (top terms), and reports
p50 / p99 latency. Model loading is timed separately.
"""

from __future__ import annotations

import statistics
import sys
import time

from _common import machine, real_texts


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    texts = real_texts(n)
    t0 = time.perf_counter()
    from tokenscam import Detector

    det = Detector.load()
    load = time.perf_counter() - t0
    print(f"# single-message latency, {n} messages, {machine()}; import+load {load:.2f} s")
    for explain in (False, True):
        det.score(texts[0], explain=explain)
        lat = []
        for t in texts:
            s = time.perf_counter()
            det.score(t, explain=explain)
            lat.append(time.perf_counter() - s)
        lat.sort()
        p50 = statistics.median(lat) * 1e3
        p99 = lat[int(len(lat) * 0.99)] * 1e3
        print(
            f"explain={explain}: p50 {p50:.3f} ms, p99 {p99:.3f} ms, {len(lat) / sum(lat):,.0f} msgs/s"
        )


if __name__ == "__main__":
    main()

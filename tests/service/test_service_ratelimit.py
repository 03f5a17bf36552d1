"""Token buckets shared by processes through one file."""

from __future__ import annotations

import multiprocessing as mp

from service.ratelimit import RateLimiter


def test_bucket_allows_a_burst_then_the_rate(tmp_path) -> None:
    limiter = RateLimiter(tmp_path, {"a": 60, "b": 6}, burst=3)
    t = 1_000_000.0
    assert [limiter.acquire("a", t)[0] for _ in range(3)] == [True, True, True]
    allowed, wait = limiter.acquire("a", t)
    assert not allowed and 0.9 < wait <= 1.0  # 60/min: one token a second
    assert limiter.acquire("a", t + 1.01)[0]
    assert limiter.acquire("b", t)[0]  # each key has its own bucket
    assert limiter.acquire("not-configured", t) == (True, 0.0)


def _spend(path: str, n: int, out: mp.Queue) -> None:
    from pathlib import Path

    limiter = RateLimiter(Path(path), {"k": 1}, burst=10)
    out.put(sum(limiter.acquire("k", 5_000_000.0)[0] for _ in range(n)))


def test_workers_share_one_bucket(tmp_path) -> None:
    ctx = mp.get_context("fork")
    out = ctx.Queue()
    procs = [ctx.Process(target=_spend, args=(str(tmp_path), 8, out)) for _ in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(30)
    allowed = sum(out.get(timeout=5) for _ in procs)
    assert allowed == 10  # the burst, once, across all processes

"""Per-key rate limits shared by every worker process: token buckets in a small file.

Each configured API key owns one 16-byte slot (tokens, last refill time) in
``<instance>/ratelimit-<keys hash>.bin``. A request takes the file lock (``flock``), refills
its key's bucket at the key's rate, and spends one token or is refused with the wait until the
next one. Each process opens the file itself (after the fork), so the locks exclude each other.
"""

from __future__ import annotations

import fcntl
import hashlib
import mmap
import os
import struct
import time
from pathlib import Path

from flask import Flask, current_app

__all__ = ["RateLimiter", "init_app", "get_limiter"]

_SLOT = struct.Struct("dd")


class RateLimiter:
    def __init__(self, directory: Path, rates: dict[str, int], burst: int) -> None:
        """``rates``: requests per minute for each key name."""
        self.names = sorted(rates)
        self.index = {n: i for i, n in enumerate(self.names)}
        self.per_second = {n: max(rates[n], 1) / 60.0 for n in self.names}
        self.burst = float(max(burst, 1))
        digest = hashlib.sha256("\n".join(f"{n}={rates[n]}" for n in self.names).encode())
        self.path = directory / f"ratelimit-{digest.hexdigest()[:12]}.bin"
        self._pid = -1
        self._fd = -1
        self._map: mmap.mmap | None = None

    def _open(self) -> mmap.mmap:
        if self._pid != os.getpid() or self._map is None:
            size = max(len(self.names), 1) * _SLOT.size
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            if os.fstat(fd).st_size < size:
                os.ftruncate(fd, size)
            self._fd, self._map, self._pid = fd, mmap.mmap(fd, size), os.getpid()
        return self._map

    def acquire(self, name: str, now: float | None = None) -> tuple[bool, float]:
        """``(allowed, seconds until a request would be allowed)`` for key ``name``."""
        slot = self.index.get(name)
        if slot is None:
            return True, 0.0
        view = self._open()
        rate = self.per_second[name]
        offset = slot * _SLOT.size
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            now = time.time() if now is None else now
            tokens, last = _SLOT.unpack_from(view, offset)
            if last <= 0.0:
                tokens, last = self.burst, now
            tokens = min(self.burst, tokens + max(0.0, now - last) * rate)
            if tokens >= 1.0:
                _SLOT.pack_into(view, offset, tokens - 1.0, now)
                return True, 0.0
            _SLOT.pack_into(view, offset, tokens, now)
            return False, (1.0 - tokens) / rate
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)


def init_app(app: Flask) -> None:
    keys = app.config["API_KEYS"]
    default = int(app.config["RATE_LIMIT"])
    rates = {name: int(k.get("rate_limit") or default) for name, k in keys.items()}
    rates = {name: r for name, r in rates.items() if r > 0}  # 0: this key is not limited
    app.extensions["tokenscam.ratelimit"] = RateLimiter(
        Path(app.instance_path), rates, int(app.config["RATE_BURST"])
    )


def get_limiter() -> RateLimiter:
    return current_app.extensions["tokenscam.ratelimit"]

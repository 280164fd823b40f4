"""Per-client rate limits: a token bucket per (client, bucket), refilled continuously, in process memory.

One process keeps its own buckets: behind several workers, each enforces the limit on its share (or put the limit
in the proxy). Memory is bounded: full, idle buckets are dropped once there are ``MAX_CLIENTS`` of them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

MAX_CLIENTS = 10_000


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._lock = threading.Lock()

    def hit(self, client: str, bucket: str, per_minute: int) -> float:
        """Takes one token; returns 0 when allowed, else the seconds until the next token."""
        rate = per_minute / 60.0
        now = self._clock()
        with self._lock:
            key = (client, bucket)
            state = self._buckets.get(key)
            if state is None:
                if len(self._buckets) >= MAX_CLIENTS:
                    self._evict(now, rate, per_minute)
                state = self._buckets[key] = _Bucket(float(per_minute), now)
            state.tokens = min(float(per_minute), state.tokens + (now - state.updated) * rate)
            state.updated = now
            if state.tokens >= 1.0:
                state.tokens -= 1.0
                return 0.0
            return (1.0 - state.tokens) / rate

    def _evict(self, now: float, rate: float, capacity: int) -> None:
        full = [k for k, b in self._buckets.items() if b.tokens + (now - b.updated) * rate >= capacity]
        for key in full or list(self._buckets)[: len(self._buckets) // 2]:
            del self._buckets[key]

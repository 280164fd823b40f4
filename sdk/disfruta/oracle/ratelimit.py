"""Per-client rate limits in a store every worker shares, through the `limits` library.

A sliding-window counter per (bucket, client): the weighted count of this minute and the one before (two counters
per key in the store, one round trip per request). ``memory://`` keeps them in the process, which is right for one
worker only; several workers (``disfruta oracle serve --workers N``) need a shared store, ``redis://host:port/db``,
so that one client has one budget however its requests are spread.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from limits import RateLimitItemPerMinute
from limits.aio.storage import Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.storage import storage_from_string

SCHEMES = ("memory://", "redis://", "rediss://", "redis+unix://")
NAMESPACE = "disfruta-oracle"
STORE_TIMEOUT_S = 0.5  # connecting to, and each answer from, a shared store


class RateLimitStoreError(Exception):
    """The shared store can't be reached: the request is refused (503) rather than let through unmetered."""


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: int  # whole seconds until the client may try again (0 when allowed)


def shared(url: str) -> bool:
    """Whether ``url`` is a store several processes share (anything but process memory)."""
    return not url.startswith("memory://")


def check_url(url: str) -> str:
    if not url.startswith(SCHEMES):
        raise ValueError(f"rate-limit storage must be one of {', '.join(s + '...' for s in SCHEMES)}; got {url!r}")
    return url


class RateLimiter:
    """``await limiter.hit(client, bucket, per_minute)``: one request of ``client`` against ``bucket``'s budget."""

    def __init__(self, url: str = "memory://", namespace: str = NAMESPACE) -> None:
        self.url = check_url(url)
        # limits' asyncio storages: "async+redis://" is its Redis storage (coredis), "async+memory://" process memory.
        # A Redis that stops answering must fail the request quickly, not hang it: coredis waits forever by default.
        timeouts = {} if url.startswith("memory://") else {"connect_timeout": STORE_TIMEOUT_S,
                                                            "stream_timeout": STORE_TIMEOUT_S}
        self._storage: Storage = storage_from_string(  # type: ignore[assignment]
            "async+" + url, key_prefix=namespace, **timeouts)
        self._strategy = SlidingWindowCounterRateLimiter(self._storage)
        self._items: dict[int, RateLimitItemPerMinute] = {}

    def __repr__(self) -> str:
        return f"RateLimiter({self.url.split('@')[-1]!r})"

    async def hit(self, client: str, bucket: str, per_minute: int) -> Decision:
        item = self._items.get(per_minute)
        if item is None:
            item = self._items[per_minute] = RateLimitItemPerMinute(per_minute)
        try:
            if await self._strategy.hit(item, bucket, client):
                return Decision(True, 0)
            stats = await self._strategy.get_window_stats(item, bucket, client)
        except Exception as exc:
            raise RateLimitStoreError(f"rate-limit store unavailable ({type(exc).__name__})") from exc
        return Decision(False, max(1, math.ceil(stats.reset_time - time.time())))

    async def reset(self) -> None:
        """Forgets every client's count (tests; an operator lifting a block)."""
        await self._storage.reset()

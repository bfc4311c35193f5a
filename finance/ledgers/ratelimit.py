"""A per-organisation call budget shared by every worker through the cache (Redis in production).

Xero allows 5 calls in flight and 60 a minute per organisation. Before each call a worker takes a
concurrency slot and a share of the current minute; if either is spent, or the vendor told us to
back off (429 Retry-After, X-MinLimit-Remaining at 0), the call is not made and the outbox retries
after the wait the limiter names.
"""

import time
from contextlib import contextmanager

from django.core.cache import cache

from .base import LedgerUnavailable

SLOT_TTL = 120  # a worker that died mid-call frees its slot after this long


class Limiter:
    def __init__(self, name: str, *, concurrent: int, per_minute: int):
        self.name = name
        self.concurrent = concurrent
        self.per_minute = per_minute

    def pause(self, seconds: float) -> None:
        cache.set(f"{self.name}:pause", time.time() + seconds, timeout=int(seconds) + 5)

    def paused_for(self) -> float:
        until = cache.get(f"{self.name}:pause")
        return max(until - time.time(), 0.0) if until else 0.0

    def _spend_minute(self) -> None:
        now = time.time()
        key = f"{self.name}:minute:{int(now // 60)}"
        cache.add(key, 0, timeout=90)
        if cache.incr(key) > self.per_minute:
            raise LedgerUnavailable(f"{self.per_minute} calls this minute already used", retry_after=60 - now % 60 + 1)

    @contextmanager
    def slot(self):
        waiting = self.paused_for()
        if waiting:
            raise LedgerUnavailable("The ledger asked us to slow down", retry_after=waiting)
        self._spend_minute()
        for index in range(self.concurrent):
            key = f"{self.name}:slot:{index}"
            if cache.add(key, 1, timeout=SLOT_TTL):
                break
        else:
            raise LedgerUnavailable(f"{self.concurrent} calls already in flight", retry_after=2)
        try:
            yield
        finally:
            cache.delete(key)

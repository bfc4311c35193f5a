"""Fixed-window counters in the Django cache (Redis in production) that raise RateLimited."""

import hashlib
import math
import time

from django.core.cache import cache

from eventchain.errors import RateLimited


def _key(scope: str, subject: str, window: int) -> tuple[str, int]:
    bucket = int(time.time() // window)
    digest = hashlib.sha256(subject.strip().lower().encode()).hexdigest()[:32]
    return f"ec:rl:{scope}:{digest}:{bucket}", (bucket + 1) * window


def hit(scope: str, subject: str, *, limit: int, window: int, message: str) -> None:
    """Count one attempt; raise RateLimited (with seconds until the window ends) once over `limit`."""
    key, window_end = _key(scope, subject, window)
    cache.add(key, 0, timeout=window + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window + 5)
        count = 1
    if count > limit:
        retry_after = max(1, math.ceil(window_end - time.time()))
        minutes = max(1, math.ceil(retry_after / 60))
        raise RateLimited(f"{message} Try again in {minutes} minute{'s' if minutes != 1 else ''}.",
                          retry_after=retry_after)

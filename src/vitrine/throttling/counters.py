"""Moving-window counters (the `limits` library): in Redis when one is set, else in this process.

With VITRINE_REDIS_URL every worker process sees the same counts, so `vitrine serve --workers N`
does not multiply a limit by N; without it each process counts alone (fine for one process).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from functools import cached_property

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import MovingWindowRateLimiter


@dataclass(frozen=True)
class Rule:
    """At most `amount` events per `seconds` for one key (a name keeps rules apart)."""

    name: str
    amount: int
    seconds: int

    @cached_property
    def item(self) -> RateLimitItem:
        return RateLimitItemPerSecond(self.amount, self.seconds, namespace=self.name)

    def __str__(self) -> str:
        return f"{self.amount} per {self.seconds} s"


class Counters:
    """Counts events per (rule, key) over a moving window; thread-safe, shared if the storage is."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self._limiter = MovingWindowRateLimiter(storage)

    def take(self, rule: Rule, *key: str) -> float:
        """Count one event: 0 if it fits, else the seconds until it would (nothing counted)."""
        if self._limiter.hit(rule.item, *key):
            return 0.0
        return self.retry_after(rule, *key)

    def retry_after(self, rule: Rule, *key: str) -> float:
        """Seconds until one more event fits (0 if it fits now)."""
        stats = self._limiter.get_window_stats(rule.item, *key)
        if stats.remaining > 0:
            return 0.0
        return max(1.0, math.ceil(stats.reset_time - time.time()))

    def used(self, rule: Rule, *key: str) -> int:
        """Events counted in the window now."""
        return rule.amount - self._limiter.get_window_stats(rule.item, *key).remaining

    def clear(self, rule: Rule, *key: str) -> None:
        self._limiter.clear(rule.item, *key)


def open_counters(redis_url: str, key_prefix: str = "vitrine") -> Counters:
    """Counters in Redis (shared by every process using the same prefix), else in memory."""
    if redis_url:
        return Counters(RedisStorage(redis_url, key_prefix=f"{key_prefix}:limits"))
    return Counters(MemoryStorage())

"""An in-process sliding-window rate limiter for guessable endpoints (logins, codes)."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque


class RateLimiter:
    """At most `limit` events per `window_seconds` per key; thread-safe, per process."""

    def __init__(self, limit: int, window_seconds: float) -> None:
        self.limit = limit
        self.window = window_seconds
        self._events: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _trim(self, key: str, now: float) -> deque[float]:
        events = self._events[key]
        while events and events[0] <= now - self.window:
            events.popleft()
        return events

    def blocked_for(self, key: str, now: float | None = None) -> float:
        """Seconds until `key` may try again (0 when it may try now)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            events = self._trim(key, now)
            if len(events) < self.limit:
                return 0.0
            return events[0] + self.window - now

    def record(self, key: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            self._trim(key, now).append(now)

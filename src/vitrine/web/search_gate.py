"""Bounded photo-search work per server process: a few run, a few wait, the rest are shed at once.

A search is CPU work (about 0.1-0.3 s of two cores): letting every request start one only makes
all of them slow. ``SearchGate`` lets ``concurrency`` run, queues up to ``queue`` more for at most
``wait_seconds``, and refuses the rest immediately with ``SearchBusy`` (the API answers 503 with
Retry-After, the shopper page says "busy, try again in a moment").
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from vitrine.web import metrics


class SearchBusy(Exception):
    """Too many searches are running or waiting; try again after ``retry_after`` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many photo searches at once; retry in {retry_after} s")
        self.retry_after = retry_after


class SearchGate:
    def __init__(self, *, concurrency: int, queue: int, wait_seconds: float) -> None:
        self.concurrency = concurrency
        self.queue = queue
        self.wait_seconds = wait_seconds
        self.running = 0
        self.waiting = 0
        self._slots: asyncio.Semaphore | None = None

    def _semaphore(self) -> asyncio.Semaphore:
        if self._slots is None:  # created in the event loop that uses it
            self._slots = asyncio.Semaphore(self.concurrency)
        return self._slots

    def _shed(self, why: str) -> SearchBusy:
        metrics.SEARCHES_SHED.labels(reason=why).inc()
        return SearchBusy(retry_after=2)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one of the running places for the duration of a search."""
        slots = self._semaphore()
        if self.running + self.waiting >= self.concurrency + self.queue:
            raise self._shed("queue_full")
        self.waiting += 1
        metrics.SEARCH_QUEUE.inc()
        try:
            await asyncio.wait_for(slots.acquire(), timeout=self.wait_seconds)
        except TimeoutError:
            raise self._shed("waited_too_long") from None
        finally:
            self.waiting -= 1
            metrics.SEARCH_QUEUE.dec()
        self.running += 1
        try:
            yield
        finally:
            self.running -= 1
            slots.release()

"""The event recorder: a bounded in-process queue that one writer thread stores in batches.

A request never asks the pool for a second connection to count a page view: it puts the event
on the queue (never blocking) and the writer, alone, holds one connection for a batch at a time.
What cannot be stored (queue full, database refusing) is counted, persisted as dropped-event
rows when the database answers again, and shown on the operator dashboard.
"""

from __future__ import annotations

import atexit
import logging
import queue
import threading
import time
import weakref
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy.orm import Session, sessionmaker

from vitrine.analytics.models import DroppedEvents, ShopperEvent

log = logging.getLogger("vitrine.analytics")

EVENT_KINDS = frozenset(
    {
        "landing",
        "photo_search",
        "text_search",
        "qr_scan",
        "product_view",
        "add_to_cart",
        "checkout",
        "payment",
        "order",
        "not_this_one",
    }
)
QUEUE_FULL = "queue_full"
DATABASE_REFUSED = "database_refused"
BATCH_SIZE = 200
LINGER_SECONDS = 0.25
RETRY_PAUSES = (0.2, 1.0)  # before a batch the database refused is counted as dropped
Drop = tuple[str | None, date, str]  # showroom id, day (UTC), reason


@dataclass(frozen=True)
class PendingEvent:
    """One shopper action waiting for the writer; `at` is when it happened, not when stored."""

    kind: str
    showroom_id: str | None
    product_id: str | None
    visitor: str
    source: str
    detail: dict[str, object]
    at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def row(self) -> ShopperEvent:
        return ShopperEvent(
            kind=self.kind,
            showroom_id=self.showroom_id,
            product_id=self.product_id,
            visitor=self.visitor[:64],
            source=self.source[:32],
            detail=self.detail,
            at=self.at,
        )


_STOP = object()


class EventRecorder:
    """Events of one process; `record` never blocks and never touches the database."""

    def __init__(self, session_factory: sessionmaker[Session], *, capacity: int = 10_000) -> None:
        if capacity < 1:
            raise ValueError("the event queue needs room for at least one event")
        self._session_factory = session_factory
        self._queue: queue.Queue[PendingEvent | object] = queue.Queue(maxsize=capacity)
        self._dropped: Counter[Drop] = Counter()  # not yet persisted
        self._lock = threading.Lock()
        self._writer: threading.Thread | None = None
        atexit.register(_close_at_exit, weakref.ref(self))

    def record(
        self,
        kind: str,
        *,
        showroom_id: str | None = None,
        product_id: str | None = None,
        visitor: str = "",
        source: str = "",
        detail: dict[str, object] | None = None,
    ) -> bool:
        """Queue one event; False (and counted as dropped) when the queue is full."""
        if kind not in EVENT_KINDS:
            raise ValueError(f"unknown event kind {kind!r}")
        event = PendingEvent(kind, showroom_id, product_id, visitor, source, detail or {})
        self._ensure_writer()
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            self._count_dropped([event], QUEUE_FULL)
            return False
        return True

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every queued event is stored (or dropped); False on timeout."""
        with self._queue.all_tasks_done:
            return self._queue.all_tasks_done.wait_for(
                lambda: self._queue.unfinished_tasks == 0, timeout
            )

    def close(self, timeout: float = 30.0) -> None:
        """Store what is queued, then stop the writer (a clean stop loses no event)."""
        with self._lock:
            writer, self._writer = self._writer, None
        if writer is None:
            return
        self._queue.put(_STOP)
        writer.join(timeout)
        if writer.is_alive():
            log.error("the analytics writer did not finish within %.0f s", timeout)

    def pending_drops(self, showroom_id: str | None) -> int:
        """Dropped events of this process not stored yet (the database refused them too)."""
        with self._lock:
            return sum(n for (shown, _day, _), n in self._dropped.items() if shown == showroom_id)

    def _ensure_writer(self) -> None:
        with self._lock:
            if self._writer is None or not self._writer.is_alive():
                self._writer = threading.Thread(
                    target=self._write_forever, name="vitrine-analytics-writer", daemon=True
                )
                self._writer.start()

    def _count_dropped(self, events: list[PendingEvent], reason: str) -> None:
        with self._lock:
            for event in events:
                self._dropped[(event.showroom_id, event.at.date(), reason)] += 1
        log.warning("%d %s event(s) not recorded: %s", len(events), events[0].kind, reason)

    def _write_forever(self) -> None:
        stopping = False
        while not stopping:
            batch, taken, stopping = self._next_batch()
            self._store(batch)
            for _ in range(taken):
                self._queue.task_done()

    def _next_batch(self) -> tuple[list[PendingEvent], int, bool]:
        """Events for one transaction: what arrives within LINGER_SECONDS of the first one.

        Few, larger transactions: on SQLite every commit of the writer can make a request's
        transaction that read before it fail to write, so the writer commits a few times a
        second at most, not once per page view.
        """
        batch: list[PendingEvent] = []
        item = self._queue.get()
        taken = 1
        deadline = time.monotonic() + LINGER_SECONDS
        while isinstance(item, PendingEvent):
            batch.append(item)
            if len(batch) >= BATCH_SIZE:
                break
            try:
                item = self._queue.get(timeout=max(deadline - time.monotonic(), 0.001))
                taken += 1
            except queue.Empty:
                break
        return batch, taken, item is _STOP

    def _store(self, batch: list[PendingEvent]) -> None:
        with self._lock:
            drops, self._dropped = self._dropped, Counter()
        if not batch and not drops:
            return
        for pause in (*RETRY_PAUSES, None):
            try:
                with self._session_factory() as session, session.begin():
                    session.add_all(event.row() for event in batch)
                    session.add_all(
                        DroppedEvents(showroom_id=showroom, day=day, reason=reason, count=count)
                        for (showroom, day, reason), count in drops.items()
                    )
                return
            except Exception:  # analytics must never stop the writer: retry, then count
                if pause is None:
                    log.exception("could not store %d analytics events", len(batch))
                    break
                time.sleep(pause)  # a busy database (SQLite's write lock) is often free again
        with self._lock:
            self._dropped.update(drops)
        if batch:
            self._count_dropped(batch, DATABASE_REFUSED)


def _close_at_exit(recorder: weakref.ref[EventRecorder]) -> None:
    alive = recorder()
    if alive is not None:
        alive.close()

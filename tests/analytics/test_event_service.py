"""The event recorder: no second connection per request, batches, drops counted, clean stop."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from vitrine.analytics.event_service import (
    DATABASE_REFUSED,
    LINGER_SECONDS,
    QUEUE_FULL,
    EventRecorder,
)
from vitrine.analytics.models import DroppedEvents, ShopperEvent
from vitrine.analytics.service import dropped_events
from vitrine.db import make_engine, make_session_factory
from vitrine.installation import Installation


def _stored(installation: Installation) -> int:
    with installation.session_factory() as session:
        return int(session.scalar(select(func.count()).select_from(ShopperEvent)) or 0)


def _drops(installation: Installation) -> dict[str, int]:
    with installation.session_factory() as session:
        rows = session.execute(
            select(DroppedEvents.reason, func.sum(DroppedEvents.count)).group_by(
                DroppedEvents.reason
            )
        )
        return {str(reason): int(count) for reason, count in rows}


def gated(installation: Installation, gate: threading.Event) -> Callable[[], Session]:
    """The real session factory, but the writer waits at `gate` before each batch."""

    def open_session() -> Session:
        assert gate.wait(30)
        return installation.session_factory()

    return open_session


def _writer_waits_at_the_gate(recorder: EventRecorder) -> None:
    """Until the writer took what was queued and, its linger over, waits at the gate to store it."""
    while recorder._queue.qsize():
        threading.Event().wait(0.01)
    threading.Event().wait(LINGER_SECONDS + 0.25)


def test_a_burst_from_many_threads_with_a_tiny_pool_is_all_written(
    installation: Installation,
) -> None:
    # Two connections for 16 "requests" that each hold one while they record: before the
    # recorder, every event asked the pool for a second connection and the pool ran dry.
    engine = make_engine(
        installation.settings.resolved_database_url, pool_size=2, max_overflow=0, pool_timeout=5
    )
    factory = make_session_factory(engine)
    recorder = EventRecorder(factory, capacity=10_000)

    def request(number: int) -> None:
        with factory() as session:
            session.execute(text("SELECT 1"))  # the request's own connection, held
            for _ in range(25):
                recorder.record("product_view", showroom_id="s1", visitor=f"v{number}")

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(request, range(64)))  # raises if any request hit a pool timeout
    assert recorder.flush(30)
    recorder.close()
    engine.dispose()
    assert _stored(installation) == 64 * 25
    assert _drops(installation) == {}


def test_a_full_queue_drops_are_counted_and_stored(installation: Installation) -> None:
    gate = threading.Event()
    recorder = EventRecorder(gated(installation, gate), capacity=3)  # type: ignore[arg-type]
    assert recorder.record("landing", showroom_id="s1")
    _writer_waits_at_the_gate(recorder)  # the writer took the first event and waits at the gate
    accepted = [recorder.record("landing", showroom_id="s1") for _ in range(5)]
    assert accepted == [True, True, True, False, False]
    assert recorder.pending_drops("s1") == 2
    gate.set()
    assert recorder.flush(30)
    recorder.record("landing", showroom_id="s1")  # the next batch carries the drop counts
    assert recorder.flush(30)
    recorder.close()
    assert _stored(installation) == 5
    assert _drops(installation) == {QUEUE_FULL: 2}
    assert recorder.pending_drops("s1") == 0
    now = datetime.now(UTC)
    with installation.session_factory() as session:
        shown = dropped_events(
            db_session=session, showroom_id="s1", start=now - timedelta(days=1), end=now
        )
    assert shown == 2


def test_events_the_database_refuses_are_counted(
    installation: Installation, tmp_path: Path
) -> None:
    nowhere = make_engine(f"sqlite:///{tmp_path / 'missing' / 'dir' / 'x.db'}")
    recorder = EventRecorder(make_session_factory(nowhere), capacity=100)
    for _ in range(3):
        recorder.record("qr_scan", showroom_id="s9")
    assert recorder.flush(30)
    recorder.close()
    assert recorder.pending_drops("s9") == 3
    assert recorder._dropped and all(
        reason == DATABASE_REFUSED for _, _, reason in recorder._dropped
    )


def test_a_clean_stop_stores_every_queued_event(installation: Installation) -> None:
    gate = threading.Event()
    recorder = EventRecorder(gated(installation, gate), capacity=1000)  # type: ignore[arg-type]
    for _ in range(500):
        recorder.record("landing", showroom_id="s1")
    gate.set()
    recorder.close()  # no flush first: close drains
    assert _stored(installation) == 500


def test_an_unknown_event_kind_is_refused(installation: Installation) -> None:
    recorder = EventRecorder(installation.session_factory)
    with pytest.raises(ValueError, match="unknown event kind"):
        recorder.record("teleport")
    with pytest.raises(ValueError, match="at least one"):
        EventRecorder(installation.session_factory, capacity=0)

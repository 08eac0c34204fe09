"""The in-process fan-out: one read per wake-up shared by every viewer, resume, lost wake-ups."""

from __future__ import annotations

import asyncio

from tests.asyncio_runner import run_async
from vitrine.live.fanout import LiveEvent, LocalHub


class Log:
    def __init__(self) -> None:
        self.events: list[LiveEvent] = []
        self.reads = 0

    def add(self, kind: str) -> int:
        self.events.append(LiveEvent(len(self.events) + 1, kind, {"n": len(self.events)}))
        return len(self.events)

    def load(self, session_id: str, after: int) -> list[LiveEvent]:
        self.reads += 1
        return [e for e in self.events if e.seq > after]


def test_a_wake_up_reaches_every_waiting_viewer_with_one_read() -> None:
    log = Log()
    hub = LocalHub(log.load)

    async def scenario() -> list[list[int]]:
        feed = hub.feed("s1")
        viewers = [asyncio.create_task(feed.events_after(0, timeout=5)) for _ in range(200)]
        await asyncio.sleep(0.05)
        reads_before = log.reads
        hub.announce(session_id="s1", seq=log.add("pins"))
        results = await asyncio.gather(*viewers)
        assert log.reads - reads_before == 1
        return [[e.seq for e in events] for events in results]

    assert run_async(scenario()) == [[1]] * 200


def test_a_reconnecting_viewer_gets_what_it_missed_in_order() -> None:
    log = Log()
    for kind in ("state", "pins", "comment", "pins"):
        log.add(kind)
    hub = LocalHub(log.load)

    async def scenario() -> list[int]:
        feed = hub.feed("s1")
        await feed.events_after(3, timeout=0.01)  # another viewer warmed the cache at seq 3
        return [e.seq for e in await feed.events_after(1, timeout=1)]

    assert run_async(scenario()) == [2, 3, 4]


def test_a_lost_wake_up_is_caught_by_the_safety_refresh(monkeypatch: object) -> None:
    import vitrine.live.fanout as fanout

    fanout.SAFETY_REFRESH_SECONDS = 0.0  # type: ignore[misc]
    try:
        log = Log()
        hub = LocalHub(log.load)

        async def scenario() -> list[int]:
            feed = hub.feed("s1")
            await feed.events_after(0, timeout=0.01)
            log.add("pins")  # committed, never announced
            return [e.seq for e in await feed.events_after(0, timeout=0.05)]

        assert run_async(scenario()) == [1]
    finally:
        fanout.SAFETY_REFRESH_SECONDS = 5.0  # type: ignore[misc]


def test_viewer_counts_go_up_and_down() -> None:
    hub = LocalHub(Log().load)

    async def scenario() -> tuple[int, int, int]:
        first = await hub.joined("s1")
        second = await hub.joined("s1")
        await hub.left("s1")
        return first, second, await hub.viewers("s1")

    assert run_async(scenario()) == (1, 2, 1)


def test_viewer_counts_shared_through_redis_ignore_processes_that_stopped_writing() -> None:
    from vitrine.live.redis_hub import sum_fresh_counts

    shares = [b"400:1000", "350:995", b"90:900", b"junk"]  # the third process died at t=900
    assert sum_fresh_counts(shares, now=1001.0) == 750


def test_a_new_peak_of_viewers_is_stored_at_most_once_a_second_and_on_leaving() -> None:
    from vitrine.live.fanout import SessionFeed

    async def scenario() -> list[int | None]:
        feed = SessionFeed("s1", Log().load)
        return [
            feed.peak_to_store(1),
            feed.peak_to_store(2),  # within the second: later
            feed.peak_to_store(1, leaving=True),  # the peak of 2 is written on leaving
            feed.peak_to_store(1, leaving=True),  # nothing new
        ]

    assert run_async(scenario()) == [1, None, 2, None]

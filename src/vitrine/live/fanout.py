"""Fan-out of a live session's events to the viewers connected to this process.

The event log in the database is the truth; a hub only says "the log of session S now reaches
sequence N". Each process keeps one feed per watched session: a wake-up makes it read the new
events once and hand them to every waiting viewer, so a thousand viewers cost one query.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Protocol

log = logging.getLogger("vitrine.live")
CACHED_EVENTS = 512
SAFETY_REFRESH_SECONDS = 5.0  # re-read the log now and then even if a wake-up was lost
NUDGE_SECONDS = 1.0  # at most one viewer-count wake a second per session and process


@dataclass(frozen=True)
class LiveEvent:
    seq: int
    kind: str
    data: dict[str, object]

    @cached_property
    def as_sse(self) -> str:
        """The event on the wire, encoded once however many viewers receive it."""
        payload = json.dumps(self.data, separators=(",", ":"), ensure_ascii=False)
        return f"id: {self.seq}\nevent: {self.kind}\ndata: {payload}\n\n"


# (session_id, after_seq) -> the next events in order; blocking, run in a worker thread.
LoadEvents = Callable[[str, int], list[LiveEvent]]


class SessionFeed:
    """One process's shared reader of one session's event log."""

    def __init__(self, session_id: str, load: LoadEvents) -> None:
        self.session_id = session_id
        self._load = load
        self._events: deque[LiveEvent] = deque(maxlen=CACHED_EVENTS)
        self._known = 0  # the highest sequence announced
        self._loaded = -1  # the highest sequence read (-1: nothing read yet)
        self._changed = asyncio.Event()
        self._refreshing: asyncio.Future[None] | None = None
        self._refreshed_at = 0.0
        self.viewers = 0
        self._nudge_pending = False
        self._nudged_at = 0.0
        self._peak_seen = 0
        self._peak_stored = 0
        self._peak_stored_at = 0.0

    def peak_to_store(self, viewers: int, *, leaving: bool = False) -> int | None:
        """A new peak of viewers worth writing down (at most once a second, and on leaving)."""
        self._peak_seen = max(self._peak_seen, viewers)
        if self._peak_seen <= self._peak_stored:
            return None
        if not leaving and time.monotonic() - self._peak_stored_at < 1.0:
            return None
        self._peak_stored, self._peak_stored_at = self._peak_seen, time.monotonic()
        return self._peak_seen

    def wake(self, seq: int) -> None:
        """The log reaches `seq` (call on the event loop's thread)."""
        self._known = max(self._known, seq)
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    def nudge(self) -> None:
        """The audience changed: wake the streams waiting on this feed (no new event) so each
        sends the new viewer count, the host's included. At most one wake a second however many
        viewers come and go, so a burst of arrivals costs a few wakes, not one per arrival."""
        if self._nudge_pending:
            return
        self._nudge_pending = True
        delay = max(0.0, NUDGE_SECONDS - (time.monotonic() - self._nudged_at))
        asyncio.get_running_loop().call_later(delay, self._nudge_now)

    def _nudge_now(self) -> None:
        self._nudge_pending = False
        self._nudged_at = time.monotonic()
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    def _covers(self, after: int) -> bool:
        oldest = self._events[0].seq - 1 if self._events else self._loaded
        return 0 <= oldest <= after

    def _cached_after(self, after: int) -> list[LiveEvent]:
        return [event for event in self._events if event.seq > after]

    # ASYNC109: the timeout is not a cancellation the caller could apply: when it runs out the
    # feed still refreshes from the database and answers (the heartbeat of an SSE stream).
    async def events_after(self, after: int, timeout: float) -> list[LiveEvent]:  # noqa: ASYNC109
        """The events after `after`, waiting up to `timeout` seconds for some ([] if none)."""
        if self._loaded < 0:
            await self._refresh(start=after)
        if not self._covers(after):
            return await self._read(after)  # a resume from before the cache: read it directly
        found = self._cached_after(after)
        if found:
            return found
        if self._known <= self._loaded:
            changed = self._changed
            try:
                async with asyncio.timeout(timeout):  # no task per waiter, unlike wait_for
                    await changed.wait()
            except TimeoutError:
                if not self._recently_refreshed():
                    await self._refresh(start=after)
                return self._cached_after(after) if self._covers(after) else []
        await self._refresh(start=after)
        return self._cached_after(after) if self._covers(after) else []

    def _recently_refreshed(self) -> bool:
        return time.monotonic() - self._refreshed_at < SAFETY_REFRESH_SECONDS

    async def _read(self, after: int) -> list[LiveEvent]:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, self._load, self.session_id, after)

    async def _refresh(self, *, start: int) -> None:
        """Read what is new, once: viewers woken together share the read in flight."""
        while self._refreshing is not None:
            await asyncio.shield(self._refreshing)
            if self._loaded >= max(0, self._known):
                return
        if self._loaded >= max(0, self._known) and self._recently_refreshed():
            return
        done = self._refreshing = asyncio.get_running_loop().create_future()
        try:
            await self._read_new(self._loaded if self._loaded >= 0 else start)
        finally:
            self._refreshing = None
            done.set_result(None)

    async def _read_new(self, after: int) -> None:
        try:
            new = await self._read(after)
        except Exception:  # the database blinked: keep streaming, retry on the next wake
            log.exception("could not read live events of %s", self.session_id)
            return
        self._refreshed_at = time.monotonic()
        self._loaded = max(self._loaded, after)
        for event in new:
            if event.seq > self._loaded:
                self._events.append(event)
                self._loaded = event.seq
        self._known = max(self._known, self._loaded)


class LiveHub(Protocol):
    """Tells every process's feeds that a session's log grew; counts connected viewers."""

    def announce(self, *, session_id: str, seq: int) -> None:
        """After a commit, from any thread: the log of `session_id` reaches `seq`."""
        ...

    def feed(self, session_id: str) -> SessionFeed:
        """This process's feed of a session (call on the event loop)."""
        ...

    async def joined(self, session_id: str) -> int:
        """A viewer connected; returns the number of viewers now connected."""
        ...

    async def left(self, session_id: str) -> int: ...

    async def viewers(self, session_id: str) -> int: ...

    async def close(self) -> None: ...


class LocalHub:
    """The embedded default: one server process, wake-ups in memory."""

    def __init__(self, load: LoadEvents) -> None:
        self._load = load
        self._feeds: dict[str, SessionFeed] = {}
        self._loop: asyncio.AbstractEventLoop | None = None

    def announce(self, *, session_id: str, seq: int) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return  # nobody watches from this process yet: they will read the log
        loop.call_soon_threadsafe(self._wake, session_id, seq)

    def _wake(self, session_id: str, seq: int) -> None:
        feed = self._feeds.get(session_id)
        if feed is not None:
            feed.wake(seq)

    def feed(self, session_id: str) -> SessionFeed:
        self._loop = asyncio.get_running_loop()
        # Feeds stay for the life of the process (one small object per watched session), so a
        # stream never holds a feed the hub forgot.
        found = self._feeds.get(session_id)
        if found is None:
            found = self._feeds[session_id] = SessionFeed(session_id, self._load)
        return found

    async def joined(self, session_id: str) -> int:
        feed = self.feed(session_id)
        feed.viewers += 1
        return feed.viewers

    async def left(self, session_id: str) -> int:
        feed = self.feed(session_id)
        feed.viewers = max(0, feed.viewers - 1)
        return feed.viewers

    async def viewers(self, session_id: str) -> int:
        feed = self._feeds.get(session_id)
        return feed.viewers if feed else 0

    async def close(self) -> None:
        self._feeds.clear()

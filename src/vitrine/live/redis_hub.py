"""The fan-out hub for several server processes: wake-ups through Redis pub/sub.

A commit publishes the session's new sequence number on `vitrine:live:{session_id}`; every
process listens on `vitrine:live:*` with one connection and wakes its local feeds, which read
the events from the database. Viewer counts are Redis counters shared by the processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from vitrine.live.fanout import LoadEvents, LocalHub, SessionFeed

log = logging.getLogger("vitrine.live")
CHANNEL_PREFIX = "vitrine:live:"
VIEWER_COUNT_TTL_SECONDS = 24 * 3600
COUNT_CACHE_SECONDS = 1.0


def channel_of(session_id: str) -> str:
    return f"{CHANNEL_PREFIX}{session_id}"


class RedisHub(LocalHub):
    def __init__(self, url: str, load: LoadEvents) -> None:
        super().__init__(load)
        import redis
        import redis.asyncio as aioredis

        self._url = url
        self._publisher = redis.Redis.from_url(url, socket_timeout=2)
        self._client: Any = aioredis.Redis.from_url(url, socket_timeout=5)
        self._listener: asyncio.Task[None] | None = None
        self._counts: dict[str, tuple[float, int]] = {}
        self._closed = False

    def announce(self, *, session_id: str, seq: int) -> None:
        super().announce(session_id=session_id, seq=seq)  # no round trip for local viewers
        try:
            self._publisher.publish(channel_of(session_id), str(seq))
        except Exception:  # viewers elsewhere catch up on their feed's safety refresh
            log.exception("could not publish live event %s of %s", seq, session_id)

    def feed(self, session_id: str) -> SessionFeed:
        found = super().feed(session_id)
        if not self._closed and (self._listener is None or self._listener.done()):
            self._listener = asyncio.get_running_loop().create_task(self._listen())
        return found

    async def _listen(self) -> None:
        while True:
            try:
                pubsub = self._client.pubsub()
                await pubsub.psubscribe(f"{CHANNEL_PREFIX}*")
                async for message in pubsub.listen():
                    self._on_message(message)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("lost the Redis live channel; reconnecting")
                await asyncio.sleep(1)

    def _on_message(self, message: dict[str, Any]) -> None:
        if message.get("type") != "pmessage":
            return
        channel = message["channel"]
        channel = channel.decode() if isinstance(channel, bytes) else str(channel)
        with contextlib.suppress(ValueError):
            self._wake(channel.removeprefix(CHANNEL_PREFIX), int(message["data"]))

    def _count_key(self, session_id: str) -> str:
        return f"{CHANNEL_PREFIX}{session_id}:viewers"

    async def _add_viewers(self, session_id: str, delta: int) -> int:
        try:
            count = int(await self._client.incrby(self._count_key(session_id), delta))
            await self._client.expire(self._count_key(session_id), VIEWER_COUNT_TTL_SECONDS)
        except Exception:
            log.exception("could not count live viewers of %s", session_id)
            return await super().viewers(session_id)
        self._counts[session_id] = (time.monotonic(), max(0, count))
        return max(0, count)

    async def joined(self, session_id: str) -> int:
        await super().joined(session_id)
        return await self._add_viewers(session_id, 1)

    async def left(self, session_id: str) -> int:
        await super().left(session_id)
        return await self._add_viewers(session_id, -1)

    async def viewers(self, session_id: str) -> int:
        at, count = self._counts.get(session_id, (0.0, 0))
        if time.monotonic() - at < COUNT_CACHE_SECONDS:
            return count
        try:
            count = max(0, int(await self._client.get(self._count_key(session_id)) or 0))
        except Exception:
            return count
        self._counts[session_id] = (time.monotonic(), count)
        return count

    async def close(self) -> None:
        self._closed = True
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._listener
        await super().close()
        with contextlib.suppress(Exception):
            await self._client.aclose()
        self._publisher.close()

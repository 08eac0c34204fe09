"""The fan-out hub for several server processes: wake-ups through Redis pub/sub.

A commit publishes the session's new sequence number on `vitrine:live:{session_id}`; every
process listens on `vitrine:live:*` with one connection and wakes its local feeds, which read
the events from the database. Each process writes its viewer counts to a Redis hash once a
second and reads the total back (a crashed process's share goes stale and stops counting).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Iterable
from typing import Any

from vitrine.live.fanout import LoadEvents, LocalHub, SessionFeed

log = logging.getLogger("vitrine.live")
CHANNEL_PREFIX = "vitrine:live:"
VIEWER_COUNT_TTL_SECONDS = 24 * 3600
COUNT_SHARE_SECONDS = 1.0
STALE_COUNT_SECONDS = 10  # a process that stopped writing its count no longer counts


def sum_fresh_counts(shares: Iterable[bytes | str], now: float) -> int:
    """Sum the "count:unix_time" values written by the processes in the last few seconds."""
    total = 0
    for share in shares:
        text = share.decode() if isinstance(share, bytes) else share
        count, _, at = text.partition(":")
        with contextlib.suppress(ValueError):
            if now - float(at) <= STALE_COUNT_SECONDS:
                total += max(0, int(count))
    return total


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
        self._sharer: asyncio.Task[None] | None = None
        self._process = uuid.uuid4().hex
        self._counts: dict[str, int] = {}
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
            loop = asyncio.get_running_loop()
            self._listener = loop.create_task(self._listen())
            self._sharer = loop.create_task(self._share_counts())
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

    async def _share_counts(self) -> None:
        """Every second: write this process's viewer counts, read the sum over processes."""
        while True:
            await asyncio.sleep(COUNT_SHARE_SECONDS)
            try:
                await self._share_counts_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("could not share live viewer counts through Redis")

    async def _share_counts_once(self) -> None:
        now = time.time()
        for session_id, feed in list(self._feeds.items()):
            key = self._count_key(session_id)
            await self._client.hset(key, self._process, f"{feed.viewers}:{now:.0f}")
            await self._client.expire(key, VIEWER_COUNT_TTL_SECONDS)
            shares = await self._client.hgetall(key)
            self._counts[session_id] = sum_fresh_counts(shares.values(), now)

    async def viewers(self, session_id: str) -> int:
        local = await super().viewers(session_id)
        return max(local, self._counts.get(session_id, local))

    async def close(self) -> None:
        self._closed = True
        for task in (self._listener, self._sharer):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        await super().close()
        with contextlib.suppress(Exception):
            await self._client.aclose()
        self._publisher.close()

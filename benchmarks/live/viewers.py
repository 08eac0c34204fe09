"""Many event-stream viewers on plain asyncio sockets, and how fast a pin reaches them."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass
class Viewer:
    connected: asyncio.Event = field(default_factory=asyncio.Event)
    pins_at: list[float] = field(default_factory=list)
    failed: str = ""


@dataclass(frozen=True)
class Round:
    latencies: list[float]  # seconds from the host's tap to each viewer that got the pin
    viewers: int

    def share_within(self, seconds: float) -> float:
        return sum(1 for t in self.latencies if t <= seconds) / self.viewers

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies) or [float("inf")]
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _watch(url: str, viewer: Viewer) -> None:
    parts = urlsplit(url)
    try:
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        request = (
            f"GET {parts.path}?{parts.query} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            "Accept: text/event-stream\r\n\r\n"
        )
        writer.write(request.encode())
        await writer.drain()
        while line := await reader.readline():
            if line.startswith(b"event: viewers"):
                viewer.connected.set()
            elif line.startswith(b"event: pins"):
                viewer.pins_at.append(time.monotonic())
        writer.close()
    except (OSError, asyncio.IncompleteReadError) as error:
        viewer.failed = str(error)
        viewer.connected.set()


async def _all_have(viewers: list[Viewer], count: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        if all(len(v.pins_at) >= count for v in viewers):
            return
        await asyncio.sleep(0.01)


async def measure_pins(
    *,
    events_url: str,
    viewers: int,
    rounds: int,
    pin: Callable[[int], Awaitable[None]],
    on_connected: Callable[[], None] | None = None,
    wait_seconds: float = 5.0,
) -> tuple[int, list[Round]]:
    """Connect `viewers` streams, tap `pin(round)` `rounds` times; (connected, rounds)."""
    watchers = [Viewer() for _ in range(viewers)]
    tasks = []
    for start in range(0, viewers, 100):  # in waves, as a crowd arrives, not a SYN flood
        batch = watchers[start : start + 100]
        tasks += [asyncio.create_task(_watch(events_url, v)) for v in batch]
        await asyncio.wait_for(asyncio.gather(*(v.connected.wait() for v in batch)), 60)
    connected = sum(1 for v in watchers if not v.failed)
    if on_connected is not None:
        on_connected()
    results = []
    for number in range(rounds):
        tapped = time.monotonic()
        await pin(number)
        await _all_have(watchers, number + 1, time.monotonic() + wait_seconds)
        latencies = [v.pins_at[number] - tapped for v in watchers if len(v.pins_at) > number]
        results.append(Round(latencies, viewers))
        await asyncio.sleep(0.5)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return connected, results

"""Real servers on 127.0.0.1 for the event-stream tests, and a small server-sent-events reader."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx
import uvicorn
from fastapi import FastAPI

from tests.live.conftest import OnAir
from vitrine.live import service as live
from vitrine.live.fanout import LiveHub
from vitrine.live.hub_service import commit_and_announce


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        _close_hub(app)
        server.should_exit = True
        server.force_exit = True  # open event streams would otherwise hold the shutdown
        thread.join(timeout=10)


def _close_hub(app: FastAPI) -> None:
    """Stop the hub on the server's loop (a forced exit skips the app's shutdown)."""
    hub = app.state.live_hub
    loop = getattr(hub, "_loop", None)
    if loop is not None and loop.is_running():
        asyncio.run_coroutine_threadsafe(hub.close(), loop).result(timeout=5)


@dataclass
class Received:
    kind: str
    seq: str
    data: object


@dataclass
class Viewer:
    """Reads one event stream in a thread; `wait_for` blocks until an event kind arrives."""

    url: str
    headers: dict[str, str] = field(default_factory=dict)
    events: list[Received] = field(default_factory=list)
    _changed: threading.Condition = field(default_factory=threading.Condition)
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> Viewer:
        threading.Thread(target=self._read, daemon=True).start()
        self.wait_for("viewers")  # connected
        return self

    def _read(self) -> None:
        with contextlib.suppress(httpx.HTTPError):  # the server went away at the end of a test
            self._read_stream()

    def _read_stream(self) -> None:
        with (
            httpx.Client(timeout=None) as client,
            client.stream("GET", self.url, headers=self.headers) as response,
        ):
            kind, seq, data = "message", "", ""
            for line in response.iter_lines():
                if self._stop.is_set():
                    return
                if line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("id: "):
                    seq = line[4:]
                elif line.startswith("data: "):
                    data = line[6:]
                elif line == "" and data:
                    with self._changed:
                        self.events.append(Received(kind, seq, json.loads(data)))
                        self._changed.notify_all()
                    kind, seq, data = "message", "", ""

    def kinds(self) -> list[str]:
        return [event.kind for event in self.events if event.kind != "viewers"]

    def wait_for(self, kind: str, count: int = 1, timeout: float = 5.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [event for event in self.events if event.kind == kind]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no {kind!r} event within {timeout}s: {self.kinds()}")
                self._changed.wait(left)

    def stop(self) -> None:
        self._stop.set()


def pin_and_announce(on_air: OnAir, hub: LiveHub, product: int = 0) -> None:
    """Pin a product the way the host console does: commit, then wake the viewers."""
    with on_air.installation.session_factory() as session:
        session_live = live.get_session(db_session=session, session_id=on_air.session_id)
        assert session_live is not None
        live.pin_product(
            db_session=session, live=session_live, product_id=on_air.product_ids[product]
        )
        commit_and_announce(db_session=session, hub=hub)

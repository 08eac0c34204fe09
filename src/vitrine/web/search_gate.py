"""Bounded photo-search work per server process: a few run, a few wait, the rest are shed at once.

A search is CPU work (about 0.1-0.3 s of two cores): letting every request start one only makes
all of them slow. ``SearchGate`` lets ``concurrency`` run, queues up to ``queue`` more for at most
``wait_seconds``, and refuses the rest immediately (the API answers 503 with Retry-After, the
shopper page says "busy, try again in a moment").

The refusal of a full gate happens in ``SearchShedding``, before the route: a shed request costs
no multipart parsing, no database query and no page with the showroom's products, so at a crowd
the 503 comes in milliseconds and the event loop stays free for everyone else.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import re
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import ParamSpec, TypeVar

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from vitrine.i18n.translator import N_
from vitrine.web import metrics
from vitrine.web.i18n import LANGUAGE_COOKIE, negotiate, translator
from vitrine.web.pages.templating import templates

log = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")

RETRY_AFTER_SECONDS = 2
API_SEARCH_PATH = "/api/v1/search"
PAGE_SEARCH_PATH = re.compile(r"^/s/(?P<slug>[A-Za-z0-9_-]{1,80})/photo$")
BUSY_MESSAGE = N_("So many photos right now: try again in a moment.")
API_BUSY_DETAIL = "Too many photo searches right now; try again in a moment."


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
        self.admitted = 0  # search requests past SearchShedding, from their first byte to the end
        self._slots: asyncio.Semaphore | None = None

    def _semaphore(self) -> asyncio.Semaphore:
        if self._slots is None:  # created in the event loop that uses it
            self._slots = asyncio.Semaphore(self.concurrency)
        return self._slots

    def _shed(self, why: str) -> SearchBusy:
        metrics.SEARCHES_SHED.labels(reason=why).inc()
        return SearchBusy(retry_after=RETRY_AFTER_SECONDS)

    def admit(self) -> bool:
        """Let one more search request in (True), or refuse it: the places are all taken.

        Called on the event loop only (no await between the test and the count), so two
        requests cannot both take the last place.
        """
        if self.admitted >= self.concurrency + self.queue:
            metrics.SEARCHES_SHED.labels(reason="queue_full").inc()
            return False
        self.admitted += 1
        return True

    def leave(self) -> None:
        self.admitted -= 1

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


class SearchWorkers:
    """The threads that run photo searches, at a lower CPU priority than the rest of the process.

    A search keeps a core busy for 0.1-0.3 s. On 2 cores, two of them at once leave the event
    loop and the page threads waiting for the CPU: a landing page, a checkout or /healthz would
    queue behind the searches. With the search threads (and the ONNX Runtime threads they
    start, which inherit it) at ``nice`` levels below, the kernel serves the pages first and
    the searches take what is left. Linux sets a nice level per thread; elsewhere the threads
    keep the process's priority.
    """

    def __init__(self, *, threads: int, nice: int) -> None:
        self.nice = nice
        self._pool = ThreadPoolExecutor(
            max_workers=threads, thread_name_prefix="search", initializer=self._lower_priority
        )

    def _lower_priority(self) -> None:
        if self.nice <= 0:
            return
        try:
            thread = threading.get_native_id()
            lower = os.getpriority(os.PRIO_PROCESS, thread) + self.nice
            os.setpriority(os.PRIO_PROCESS, thread, lower)
        except (AttributeError, OSError) as error:  # not Linux, or not allowed
            log.info("search threads keep the process's priority: %s", error)

    async def run(self, work: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, functools.partial(work, *args, **kwargs))

    def call(self, work: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """Run ``work`` on a search thread and wait for it (from a thread that is not the loop)."""
        return self._pool.submit(work, *args, **kwargs).result()

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


class SearchShedding:
    """ASGI middleware: a search that finds the gate full is refused before its upload is read.

    Admitted requests count from their first byte (reading a 10 MB upload takes time too), so a
    burst of 32 cannot all slip past the check before the first one reaches the gate. The
    refused upload is drained, not parsed, so the client reads its 503 on a healthy connection.
    """

    def __init__(self, app: ASGIApp, *, max_drain_bytes: int = 64 * 1024 * 1024) -> None:
        self.app = app
        self.max_drain_bytes = max_drain_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        page = _search_page(scope)
        if page is None:
            await self.app(scope, receive, send)
            return
        gate: SearchGate = scope["app"].state.search_gate
        if not gate.admit():
            await _drain(receive, self.max_drain_bytes)
            await busy_response(scope, page)(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            gate.leave()


def _search_page(scope: Scope) -> str | None:
    """'' for the API's search, the showroom slug for its shopper page, None for anything else."""
    if scope["type"] != "http" or scope["method"] != "POST":
        return None
    path: str = scope["path"]
    if path == API_SEARCH_PATH:
        return ""
    found = PAGE_SEARCH_PATH.match(path)
    return found["slug"] if found else None


async def _drain(receive: Receive, limit: int) -> None:
    received = 0
    while received <= limit:
        message = await receive()
        if message["type"] != "http.request":
            return
        received += len(message.get("body", b""))
        if not message.get("more_body", False):
            return


def busy_response(scope: Scope, slug: str) -> Response:
    """The 503 of a busy search: JSON for the API (slug ''), a small translated page for shoppers;
    neither touches the database."""
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}
    if not slug:
        return JSONResponse({"detail": API_BUSY_DETAIL}, status_code=503, headers=headers)
    request = Request(scope)
    settings = scope["app"].state.installation.settings
    language = negotiate(
        request.cookies.get(LANGUAGE_COOKIE),
        request.headers.get("accept-language"),
        list(settings.languages),
    )
    t = translator(language).t
    page = templates.get_template("busy.html").render(
        t=t, lang=language, title=t(BUSY_MESSAGE), message=t(BUSY_MESSAGE), showroom=f"/s/{slug}"
    )
    return HTMLResponse(page, status_code=503, headers=headers)

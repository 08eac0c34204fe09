"""Prometheus metrics of the server: request latency by route, search stages, queue and sheds,
orders by state and the outbox backlog (the last two read from the database at scrape time).

With several worker processes (`vitrine serve --workers N`) the counters of every worker are
summed through prometheus_client's multiprocess mode (PROMETHEUS_MULTIPROC_DIR, set by the
command before the workers start), so any worker answers /metrics for all of them.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.orm import Session, sessionmaker
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vitrine.notifications.service import outbox_backlog
from vitrine.orders.service import count_orders_by_state

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
REQUEST_SECONDS = Histogram(
    "vitrine_request_seconds",
    "Time to the first byte of the response, by route.",
    ["method", "route", "status"],
    buckets=LATENCY_BUCKETS,
)
SEARCH_STAGE_SECONDS = Histogram(
    "vitrine_search_stage_seconds",
    "Photo search time by stage (decode, embed, index, crops, geometry, total).",
    ["stage"],
    buckets=LATENCY_BUCKETS,
)
SEARCH_QUEUE = Gauge(
    "vitrine_search_queue_depth",
    "Photo searches waiting for a place.",
    multiprocess_mode="livesum",
)
SEARCHES_SHED = Counter(
    "vitrine_searches_shed_total",
    "Photo searches refused with 503 because too many were running or waiting.",
    ["reason"],
)


def observe_search(timings_ms: dict[str, float]) -> None:
    for stage, milliseconds in timings_ms.items():
        SEARCH_STAGE_SECONDS.labels(stage=stage).observe(milliseconds / 1000)


class RequestTimer:
    """ASGI middleware: observes each HTTP request's time to response start, by route template."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = "500"

        async def timed_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = str(message["status"])
                _observe(scope, status, started)
            await send(message)

        try:
            await self.app(scope, receive, timed_send)
        except Exception:
            _observe(scope, status, started)
            raise


def route_template(scope: Scope) -> str:
    """The matched route as written, with its router's prefix: /api/v1/orders/{token}.

    A route only knows its own path when its router was included with a prefix; the prefix
    is the leading part of the requested path (our prefixes hold no parameters).
    """
    own = getattr(scope.get("route"), "path", None)
    if not own:
        return "unmatched"
    if ":path}" in own:
        return str(own)
    own_parts = own.rstrip("/").split("/")[1:]
    asked = str(scope.get("path", "")).rstrip("/").split("/")[1:]
    prefix = asked[: max(0, len(asked) - len(own_parts))]
    return "/" + "/".join(prefix + own_parts)


def _observe(scope: Scope, status: str, started: float) -> None:
    REQUEST_SECONDS.labels(
        scope.get("method", ""), route_template(scope), status[0] + "xx"
    ).observe(time.perf_counter() - started)


class ShopFigures(Collector):
    """Figures read from the database when Prometheus scrapes (the same for every worker)."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.session_factory = session_factory

    def collect(self) -> Iterable[Metric]:
        orders = GaugeMetricFamily("vitrine_orders", "Orders by state.", labels=["state"])
        outbox = GaugeMetricFamily("vitrine_outbox_backlog", "Messages waiting to be sent.")
        with self.session_factory() as session:
            for state, count in sorted(count_orders_by_state(db_session=session).items()):
                orders.add_metric([state], count)
            outbox.add_metric([], outbox_backlog(db_session=session))
        yield orders
        yield outbox


def render(session_factory: sessionmaker[Session]) -> bytes:
    """The exposition text of this process (or of every worker) and of the shop's figures."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        processes = CollectorRegistry()
        multiprocess.MultiProcessCollector(processes)
    else:
        processes = REGISTRY
    shop = CollectorRegistry()
    shop.register(ShopFigures(session_factory))
    return generate_latest(processes) + generate_latest(shop)

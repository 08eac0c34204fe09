"""The engines one app shares across requests (payments, lockers, search), built once."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import APIRouter, FastAPI, Request
from fastapi.concurrency import run_in_threadpool

from vitrine.analytics.event_service import EventRecorder
from vitrine.analytics.review_photos import ReviewPhotos
from vitrine.installation import Installation
from vitrine.live.deal_service import LiveOffers
from vitrine.live.fanout import LiveHub
from vitrine.live.hub_service import make_hub
from vitrine.lockers.policy import policy_from_settings
from vitrine.orders.flows import CheckoutDesk
from vitrine.orders.payments import PaymentGateway
from vitrine.orders.sandbox_gateway import SandboxGateway
from vitrine.search.service import SearchEngine
from vitrine.throttling.counters import Counters, open_counters
from vitrine.web.search_gate import SearchGate, SearchWorkers

_engine_lock = threading.Lock()


def attach_engines(
    app: FastAPI,
    installation: Installation,
    gateway: PaymentGateway | None = None,
    search_engine: SearchEngine | None = None,
) -> None:
    settings = installation.settings
    app.state.live_hub = make_hub(
        session_factory=installation.session_factory, redis_url=settings.redis_url
    )
    app.state.checkout_desk = CheckoutDesk(
        session_factory=installation.session_factory,
        gateway=gateway or SandboxGateway(settings.sandbox_ledger),
        locker_policy=policy_from_settings(settings),
        offers=LiveOffers(hub=app.state.live_hub),
        stale_after=timedelta(minutes=settings.checkout_recovery_minutes),
    )
    app.state.counters = open_counters(settings.redis_url, settings.redis_key_prefix)
    app.state.search_engine = search_engine
    app.state.search_gate = SearchGate(
        concurrency=settings.search_concurrency,
        queue=settings.search_queue,
        wait_seconds=settings.search_wait_seconds,
    )
    app.state.search_workers = SearchWorkers(
        threads=settings.search_concurrency, nice=settings.search_nice
    )
    app.state.review_photos = ReviewPhotos(settings.review_dir, settings.review_photo_days)
    app.state.event_recorder = EventRecorder(
        installation.session_factory, capacity=settings.analytics_queue_size
    )


@asynccontextmanager
async def _engines_lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    # A clean stop stores the queued analytics events before the process goes.
    await run_in_threadpool(app.state.event_recorder.close)
    app.state.search_workers.shutdown()


# Included by create_app for its lifespan: whatever the app's own lifespan, engines stop cleanly.
engines_router = APIRouter(lifespan=_engines_lifespan)


def checkout_desk(request: Request) -> CheckoutDesk:
    desk: CheckoutDesk = request.app.state.checkout_desk
    return desk


def counters(request: Request) -> Counters:
    """The app's rate-limit counters (shared by every worker when Redis is set)."""
    found: Counters = request.app.state.counters
    return found


def live_hub(request: Request) -> LiveHub:
    hub: LiveHub = request.app.state.live_hub
    return hub


def event_recorder(request: Request) -> EventRecorder:
    recorder: EventRecorder = request.app.state.event_recorder
    return recorder


def review_photos(request: Request) -> ReviewPhotos:
    photos: ReviewPhotos = request.app.state.review_photos
    return photos


def search_gate(request: Request) -> SearchGate:
    gate: SearchGate = request.app.state.search_gate
    return gate


def load_search_engine(app: FastAPI) -> SearchEngine:
    """The process's engine: loaded from the newest saved generation and caught up with the
    database, once (at start-up with `vitrine serve`, else on first use)."""
    with _engine_lock:
        engine: SearchEngine | None = app.state.search_engine
        if engine is None:
            installation: Installation = app.state.installation
            engine = SearchEngine(
                index_dir=installation.settings.index_dir,
                media=installation.media,
                index_uri=installation.settings.search_index_uri,
            )
            with installation.session_factory() as session:
                engine.sync(db_session=session)
            app.state.search_engine = engine
        return engine


def search_workers(request: Request) -> SearchWorkers:
    workers: SearchWorkers = request.app.state.search_workers
    return workers


def search_engine(request: Request) -> SearchEngine:
    """The process's engine (blocking the first time: call it from the thread pool)."""
    return load_search_engine(request.app)

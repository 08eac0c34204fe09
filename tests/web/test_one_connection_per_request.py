"""A crowd on a tiny pool: each request holds one connection, analytics never ask for another."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import func, select

from tests.live.servers import serve
from vitrine.analytics.models import ShopperEvent
from vitrine.installation import open_installation
from vitrine.settings import Settings
from vitrine.showrooms.service import create_showroom
from vitrine.web.app import create_app


def test_sixteen_shoppers_on_a_two_connection_pool_are_all_served_and_counted(
    settings: Settings,
) -> None:
    # Before the event queue, each landing held the request's connection and asked the pool
    # for a second one to record the visit: 16 at once on 2 connections waited out the pool
    # timeout ("QueuePool limit of size 2 overflow 0 reached") and lost the events.
    tiny = settings.model_copy(update={"database_pool_size": 2, "database_max_overflow": 0})
    installation = open_installation(tiny)
    try:
        with installation.session_factory() as session, session.begin():
            create_showroom(db_session=session, slug="crowd", name="Crowd", currency="EUR")
        app = create_app(installation)
        with serve(app) as url:

            def shopper(_: int) -> list[int]:
                with httpx.Client(base_url=url, timeout=60) as client:
                    return [client.get("/s/crowd").status_code for _ in range(5)]

            with ThreadPoolExecutor(max_workers=16) as pool:
                statuses = [code for codes in pool.map(shopper, range(16)) for code in codes]
        assert statuses == [200] * 80
        assert app.state.event_recorder.flush(30)
        with installation.session_factory() as session:
            landings = session.scalar(
                select(func.count()).select_from(ShopperEvent).where(ShopperEvent.kind == "landing")
            )
        assert landings == 80
        assert installation.engine.pool.size() == 2  # type: ignore[attr-defined]
    finally:
        installation.dispose()

"""A server process under load: liveness, readiness, metrics, and searches shed past the queue."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.search.test_service import _add_product, _cropped
from vitrine.installation import Installation, open_installation
from vitrine.search.service import SearchEngine
from vitrine.settings import Settings
from vitrine.web.app import create_app

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
def small_shop(settings: Settings) -> Iterator[Installation]:
    # One search at a time and no queue: the second concurrent search is shed.
    tight = settings.model_copy(update={"search_concurrency": 1, "search_queue": 0})
    installation = open_installation(tight)
    with installation.session_factory() as session, session.begin():
        for kind in ("tin", "bottle", "stripes"):
            _add_product(session, installation, kind.upper(), kind)
    yield installation
    installation.dispose()


def test_healthz_answers_and_readyz_waits_for_the_search_index(small_shop: Installation) -> None:
    client = TestClient(create_app(small_shop))  # no lifespan: the engine loads on first use
    assert client.get("/healthz").json() == {"status": "alive"}
    waiting = client.get("/readyz")
    assert waiting.status_code == 503
    assert waiting.json()["checks"] == {"database": True, "search_index": False}
    client.post("/api/v1/search", files={"image": ("p.png", _cropped("tin"), "image/png")})
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["search_generation"].startswith("gen-")


def test_a_serving_app_loads_the_search_index_before_it_takes_traffic(
    small_shop: Installation,
) -> None:
    app = create_app(small_shop, serving=True)
    with TestClient(app) as client:
        assert app.state.search_engine is not None
        assert len(app.state.search_engine) == 3
        assert client.get("/readyz").status_code == 200


def test_metrics_show_requests_by_route_search_stages_and_shop_figures(
    small_shop: Installation,
) -> None:
    with TestClient(create_app(small_shop)) as client:
        client.post("/api/v1/search", files={"image": ("p.png", _cropped("tin"), "image/png")})
        client.get("/api/v1/products")
        text = client.get("/metrics").text
    assert (
        'vitrine_request_seconds_count{method="GET",route="/api/v1/products",status="2xx"}' in text
    )
    assert 'vitrine_search_stage_seconds_count{stage="embed"}' in text
    assert "vitrine_search_queue_depth" in text
    assert "vitrine_outbox_backlog 0.0" in text


def test_searches_past_the_queue_are_shed_at_once_with_retry_after(
    small_shop: Installation,
) -> None:
    engine = SearchEngine(index_dir=small_shop.settings.index_dir, media=small_shop.media)
    with small_shop.session_factory() as session:
        engine.sync(db_session=session)
    slow_search = engine.search
    started = threading.Event()

    def search_slowly(*args: object, **kwargs: object) -> object:
        started.set()
        time.sleep(1.5)  # a search that holds the only place
        return slow_search(*args, **kwargs)  # type: ignore[arg-type]

    engine.search = search_slowly  # type: ignore[method-assign]
    with TestClient(create_app(small_shop, search_engine=engine)) as client:
        photo = {"image": ("p.png", _cropped("tin"), "image/png")}
        first: list[int] = []
        holder = threading.Thread(
            target=lambda: first.append(client.post("/api/v1/search", files=photo).status_code)
        )
        holder.start()
        assert started.wait(10)
        began = time.perf_counter()
        shed = client.post("/api/v1/search", files=photo)
        shed_seconds = time.perf_counter() - began
        alive = time.perf_counter()
        assert client.get("/healthz").status_code == 200
        healthz_seconds = time.perf_counter() - alive
        # Refused before the body is read: a body that is not even a form still gets the 503.
        unread = client.post(
            "/api/v1/search", content=b"not a form" * 1000, headers={"content-type": "text/plain"}
        )
        # The shopper page says it in the shopper's language, without the database.
        page = client.post(
            "/s/les-halles/photo", files=photo, headers={"accept-language": "fr-FR,fr;q=0.9"}
        )
        holder.join(timeout=30)
        text = client.get("/metrics").text
        gate = client.app.state.search_gate  # type: ignore[attr-defined]
    assert first == [200]
    assert shed.status_code == 503
    assert shed.headers["retry-after"] == "2"
    assert shed.json() == {"detail": "Too many photo searches right now; try again in a moment."}
    assert shed_seconds < 0.5
    assert healthz_seconds < 0.5  # the busy search does not hold the event loop
    assert unread.status_code == 503
    assert page.status_code == 503
    assert page.headers["retry-after"] == "2"
    assert "Beaucoup de photos en ce moment" in page.text
    assert 'href="/s/les-halles"' in page.text
    assert page.headers["x-frame-options"] == "DENY"  # still behind the security headers
    assert 'vitrine_searches_shed_total{reason="queue_full"}' in text
    assert (gate.admitted, gate.running, gate.waiting) == (0, 0, 0)

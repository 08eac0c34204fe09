"""The event stream end to end: real servers, real connections, in-process and through Redis."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import redis

from tests.live.conftest import OnAir
from tests.live.servers import Viewer, pin_and_announce, serve
from vitrine.live.fanout import LiveHub
from vitrine.settings import Settings
from vitrine.web.app import create_app

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture
def server(on_air: OnAir) -> Iterator[tuple[str, LiveHub]]:
    app = create_app(on_air.installation)
    with serve(app) as url:
        yield url, app.state.live_hub


def test_a_pin_reaches_every_connected_viewer_at_once(
    on_air: OnAir, server: tuple[str, LiveHub]
) -> None:
    url, hub = server
    viewers = [Viewer(f"{url}/live/{on_air.session_id}/events?after=1").start() for _ in range(3)]
    started = time.monotonic()
    pin_and_announce(on_air, hub)
    for viewer in viewers:
        pins = viewer.wait_for("pins", timeout=2)
        assert pins[0].data["pins"][0]["product_id"] == on_air.product_ids[0]  # type: ignore[index]
        assert pins[0].seq == "2"
        viewer.stop()
    assert time.monotonic() - started < 1.0


def test_a_reconnecting_viewer_resumes_after_its_last_event_id(
    on_air: OnAir, server: tuple[str, LiveHub]
) -> None:
    url, hub = server
    pin_and_announce(on_air, hub, 0)
    pin_and_announce(on_air, hub, 1)
    viewer = Viewer(
        f"{url}/live/{on_air.session_id}/events?after=0", headers={"Last-Event-ID": "2"}
    ).start()
    resumed = viewer.wait_for("pins")
    assert [event.seq for event in resumed] == ["3"]  # seq 1 (start) and 2 are not sent again
    viewer.stop()


def test_bad_input_from_one_viewer_does_not_stop_the_stream_for_others(
    on_air: OnAir, server: tuple[str, LiveHub]
) -> None:
    import re

    import httpx

    url, hub = server
    watcher = Viewer(f"{url}/live/{on_air.session_id}/events?after=1").start()
    with httpx.Client(base_url=url) as rude:
        page = rude.get(f"/live/{on_air.session_id}").text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert csrf is not None
        post = {"csrf_token": csrf.group(1), "name": "x"}
        comments = f"/live/{on_air.session_id}/comments"
        headers = {"X-Requested-With": "fetch"}
        assert (
            rude.post(comments, data={**post, "body": "y" * 10_000}, headers=headers).status_code
            == 422
        )
        statuses = [
            rude.post(comments, data={**post, "body": f"<b>{n}</b>"}, headers=headers).status_code
            for n in range(8)
        ]
    assert statuses.count(201) == 5 and statuses.count(429) == 3
    pin_and_announce(on_air, hub)
    watcher.wait_for("pins")
    first = watcher.wait_for("comment", 5)[0]
    assert first.data["body"] == "<b>0</b>"  # type: ignore[index]
    watcher.stop()


def _redis_answers() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.mark.skipif(not _redis_answers(), reason="Redis does not answer at 127.0.0.1:6379")
def test_through_redis_a_pin_on_one_process_reaches_viewers_of_another(on_air: OnAir) -> None:
    base = on_air.installation.settings
    settings = Settings(**{**base.model_dump(), "redis_url": REDIS_URL})
    on_air.installation.settings = settings
    first, second = create_app(on_air.installation), create_app(on_air.installation)
    with serve(first) as first_url, serve(second) as second_url:
        on_second = Viewer(f"{second_url}/live/{on_air.session_id}/events?after=1").start()
        on_first = Viewer(f"{first_url}/live/{on_air.session_id}/events?after=1").start()
        started = time.monotonic()
        pin_and_announce(
            on_air, first.state.live_hub
        )  # committed and announced by the first process
        assert on_second.wait_for("pins", timeout=2)[0].seq == "2"
        assert on_first.wait_for("pins", timeout=2)[0].seq == "2"
        assert time.monotonic() - started < 1.0
        viewers = on_second.wait_for("viewers", timeout=7)
        assert max(int(str(v.data)) for v in viewers) >= 1
        on_second.stop()
        on_first.stop()

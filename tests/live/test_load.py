"""A CI-sized load test: 100 viewers on one server process, a pin reaches 99% within 1 s.

The full-size run (1,000 viewers, memory figures) is benchmarks/live/load.py.
"""

from __future__ import annotations

import asyncio

import pytest
from benchmarks.live.viewers import measure_pins

from tests.asyncio_runner import run_async
from tests.live.conftest import OnAir
from tests.live.servers import pin_and_announce, serve
from vitrine.web.app import create_app

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]


def test_a_pin_reaches_99_percent_of_100_viewers_within_a_second(on_air: OnAir) -> None:
    app = create_app(on_air.installation)
    hub = app.state.live_hub
    with serve(app) as url:

        async def pin(number: int) -> None:
            await asyncio.to_thread(pin_and_announce, on_air, hub, number % 2)

        connected, rounds = run_async(
            measure_pins(
                events_url=f"{url}/live/{on_air.session_id}/events?after=1",
                viewers=100,
                rounds=3,
                pin=pin,
            )
        )
    assert connected == 100
    for measured in rounds:
        assert measured.share_within(1.0) >= 0.99, sorted(measured.latencies)[-5:]

"""The per-process gate of photo searches: a few run, a few wait, the rest are refused at once."""

from __future__ import annotations

import asyncio

from tests.asyncio_runner import run_async
from vitrine.web.search_gate import SearchBusy, SearchGate


def test_the_gate_queues_within_its_limit_and_sheds_beyond_it() -> None:
    gate = SearchGate(concurrency=2, queue=2, wait_seconds=5)
    outcomes: list[str] = []

    async def one_search() -> None:
        try:
            async with gate.slot():
                await asyncio.sleep(0.2)
            outcomes.append("done")
        except SearchBusy:
            outcomes.append("shed")

    async def crowd() -> None:
        await asyncio.gather(*(one_search() for _ in range(7)))

    run_async(crowd())
    assert sorted(outcomes) == ["done"] * 4 + ["shed"] * 3
    assert (gate.running, gate.waiting) == (0, 0)


def test_a_search_that_waited_too_long_is_shed() -> None:
    gate = SearchGate(concurrency=1, queue=5, wait_seconds=0.1)

    async def scenario() -> str:
        async with gate.slot():
            try:
                async with gate.slot():
                    return "ran"
            except SearchBusy:
                return "shed"

    assert run_async(scenario()) == "shed"

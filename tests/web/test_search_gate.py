"""The per-process gate of photo searches: a few run, a few wait, the rest are refused at once."""

from __future__ import annotations

import asyncio
import os
import sys
import threading

import pytest

from tests.asyncio_runner import run_async
from vitrine.web.search_gate import SearchBusy, SearchGate, SearchWorkers


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


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a nice level per thread")
def test_searches_run_on_threads_of_lower_cpu_priority_than_the_pages() -> None:
    def priority() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    workers = SearchWorkers(threads=1, nice=5)
    try:
        assert workers.call(priority) == min(priority() + 5, 19)
        assert run_async(workers.run(priority)) == min(priority() + 5, 19)
    finally:
        workers.shutdown()
    same = SearchWorkers(threads=1, nice=0)
    try:
        assert same.call(priority) == priority()
    finally:
        same.shutdown()

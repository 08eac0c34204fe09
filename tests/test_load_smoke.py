"""The load benchmark's CI smoke run: every scenario, tiny counts, one worker, SQLite, ~30 s.

The full runs (and their figures) are benchmarks/load/run.py and benchmarks/load/RESULTS.md.
It checks the benchmark still drives a real `vitrine serve` end to end and that nothing is
lost; latencies on a shared CI machine are printed, not asserted.
"""

from __future__ import annotations

import pytest
from benchmarks.load.run import main

from tests.asyncio_runner import run_in_own_thread

pytestmark = pytest.mark.slow


def test_the_load_benchmark_smoke_run_completes_without_errors_or_lost_events() -> None:
    # The benchmark calls asyncio.run: off the loop Playwright may keep in this thread.
    figures = run_in_own_thread(lambda: main(["smoke"]))
    assert figures["errors"] == 0
    assert figures["completed"] == 8  # landing -> product -> cart -> checkout -> pay -> tracking
    assert figures["events_expected"] == 6 * 8
    assert figures["events_lost"] == 0
    searches = figures["search"]["2"]
    assert searches["errors"] == 0
    assert searches["answered"] + searches["shed"] == 6
    assert figures["search"]["cpu_per_search"] > 0
    assert figures["uploads"]["statuses"] == {200: 2}
    assert 0 < figures["uploads"]["after_vs_baseline"] < 2

"""Market-test rankings: interest, conversion, and what is handled but not bought."""

from __future__ import annotations

import subprocess
import sys

from vitrine.analytics.charts import funnel_chart, hourly_chart
from vitrine.analytics.figures import (
    ProductFunnel,
    picked_up_not_bought,
    rate,
    top_by_conversion,
    top_by_interest,
)


def _funnel(name: str, views: int, sold: int) -> ProductFunnel:
    return ProductFunnel(name, name, views, 0, 0, sold, sold)


FUNNELS = [
    _funnel("hat", 40, 0),
    _funnel("mug", 10, 5),
    _funnel("pen", 2, 2),
    _funnel("cup", 30, 9),
]


def test_rankings() -> None:
    assert [f.name for f in top_by_interest(FUNNELS)] == ["hat", "cup", "mug", "pen"]
    assert [f.name for f in top_by_conversion(FUNNELS)] == [
        "mug",
        "cup",
        "hat",
    ]  # pen: too few views
    assert [f.name for f in picked_up_not_bought(FUNNELS)] == ["hat"]
    assert rate(1, 0) == 0.0
    assert rate(1, 4) == 0.25


def test_charts_draw_data_and_empty_periods() -> None:
    drawn = funnel_chart(FUNNELS)
    assert b"<svg" in drawn
    assert b"hat" in drawn
    assert b"No product was viewed in this period." in funnel_chart([])
    assert hourly_chart([0] * 24, "png").startswith(b"\x89PNG")


def test_charts_are_drawn_from_worker_threads_without_pyplot() -> None:
    """Pages render charts in a thread pool: each chart is its own Figure, no pyplot state."""
    script = """
import sys
from concurrent.futures import ThreadPoolExecutor
from vitrine.analytics.charts import funnel_chart, hourly_chart
from vitrine.analytics.figures import ProductFunnel
funnels = [ProductFunnel("p%d" % i, "product %d" % i, 10 + i, 1, 2, 3, 1) for i in range(6)]
with ThreadPoolExecutor(4) as pool:
    drawn = list(pool.map(lambda _: funnel_chart(funnels) + hourly_chart([1] * 24), range(8)))
assert len(set(drawn)) == 1, "the same data drew different charts"
assert "matplotlib.pyplot" not in sys.modules
print("ok")
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.stdout.strip() == "ok", done.stderr

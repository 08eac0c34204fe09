"""Dashboard charts drawn server-side with matplotlib (SVG for pages, PNG for the PDF report).

Each chart is its own `matplotlib.figure.Figure`: no pyplot, so no global figure registry and
no backend state shared between the worker threads that render pages at the same time. They are
drawn phone-first (about 400 px wide at 100 dpi, 9-10 pt text), so a 390 px screen shows them at
nearly their natural size; wider screens show them as they are.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import matplotlib
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from vitrine.analytics.figures import ProductFunnel

INK, ACCENT, MUTED, SOFT = "#1b1b1f", "#d2322d", "#6b6b75", "#f0b3b1"
WIDTH_INCHES = 4.0  # 400 px at 100 dpi: legible on a phone without zooming
NAME_CHARACTERS = 22
matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text: smaller, searchable SVG
matplotlib.rcParams["svg.hashsalt"] = "vitrine"  # stable element ids: same data, same SVG


def _figure(width: float, height: float) -> tuple[Figure, Axes]:
    figure = Figure(figsize=(width, height), dpi=100)
    axes = figure.add_subplot()
    axes.spines[["top", "right"]].set_visible(False)
    axes.tick_params(colors=MUTED, labelsize=9)
    return figure, axes


def _render(figure: Figure, image_format: str) -> bytes:
    buffer = io.BytesIO()
    figure.tight_layout()
    # No date in the SVG, so the same data draws the same bytes; a sharper PNG for the PDF.
    if image_format == "svg":
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    else:
        figure.savefig(buffer, format=image_format, dpi=200)
    return buffer.getvalue()


def _short(name: str) -> str:
    return name if len(name) <= NAME_CHARACTERS else name[: NAME_CHARACTERS - 1] + "…"


def funnel_chart(funnels: Sequence[ProductFunnel], image_format: str = "svg") -> bytes:
    """Grouped bars per product: views, added to cart, units sold."""
    figure, axes = _figure(WIDTH_INCHES, max(2.4, 0.42 * len(funnels) + 1.0))
    if not funnels:
        axes.set_axis_off()
        axes.text(0.5, 0.5, "No product was viewed in this period.", ha="center", color=MUTED)
        return _render(figure, image_format)
    names = [_short(f.name) for f in funnels][::-1]
    positions = range(len(names))
    for offset, (label, values, colour) in enumerate(
        [
            ("viewed", [f.views for f in funnels][::-1], SOFT),
            ("added to cart", [f.carts for f in funnels][::-1], MUTED),
            ("units sold", [f.units_sold for f in funnels][::-1], ACCENT),
        ]
    ):
        axes.barh(
            [p + (offset - 1) * 0.27 for p in positions],
            values,
            height=0.26,
            color=colour,
            label=label,
        )
    axes.set_yticks(list(positions), names, fontsize=9, color=INK)
    axes.legend(fontsize=9, frameon=False, loc="lower center", bbox_to_anchor=(0.4, 1.0), ncol=3)
    return _render(figure, image_format)


def hourly_chart(hourly: Sequence[int], image_format: str = "svg") -> bytes:
    """Shopper actions per hour of the day (UTC)."""
    figure, axes = _figure(WIDTH_INCHES, 2.2)
    axes.bar(range(24), hourly, color=ACCENT, width=0.8)
    axes.set_xticks(range(0, 24, 3), [f"{h:02d}h" for h in range(0, 24, 3)])
    axes.set_ylabel("actions", fontsize=9, color=MUTED)
    return _render(figure, image_format)

"""Dashboard charts drawn server-side with matplotlib (SVG for pages, PNG for the PDF report)."""

from __future__ import annotations

import io
from collections.abc import Sequence

from vitrine.analytics.figures import ProductFunnel

INK, ACCENT, MUTED, SOFT = "#1b1b1f", "#d2322d", "#6b6b75", "#f0b3b1"


def _figure(width: float, height: float):  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text: smaller, searchable SVG
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(figsize=(width, height), dpi=100)
    axes.spines[["top", "right"]].set_visible(False)
    axes.tick_params(colors=MUTED, labelsize=8)
    return pyplot, figure, axes


def _render(pyplot, figure, image_format: str) -> bytes:  # type: ignore[no-untyped-def]
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(
        buffer, format=image_format, metadata={"Date": None} if image_format == "svg" else None
    )
    pyplot.close(figure)
    return buffer.getvalue()


def funnel_chart(funnels: Sequence[ProductFunnel], image_format: str = "svg") -> bytes:
    """Grouped bars per product: views, added to cart, units sold."""
    pyplot, figure, axes = _figure(7.5, max(2.2, 0.38 * len(funnels) + 0.8))
    if not funnels:
        axes.set_axis_off()
        axes.text(0.5, 0.5, "No product was viewed in this period.", ha="center", color=MUTED)
        return _render(pyplot, figure, image_format)
    names = [f.name[:28] for f in funnels][::-1]
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
    axes.set_yticks(list(positions), names, fontsize=8, color=INK)
    axes.legend(fontsize=8, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=3)
    return _render(pyplot, figure, image_format)


def hourly_chart(hourly: Sequence[int], image_format: str = "svg") -> bytes:
    """Shopper actions per hour of the day (UTC)."""
    pyplot, figure, axes = _figure(7.5, 2.2)
    axes.bar(range(24), hourly, color=ACCENT, width=0.8)
    axes.set_xticks(range(0, 24, 2), [f"{h:02d}h" for h in range(0, 24, 2)])
    axes.set_ylabel("actions", fontsize=8, color=MUTED)
    return _render(pyplot, figure, image_format)

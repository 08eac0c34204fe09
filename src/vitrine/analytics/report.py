"""The market-test report as a PDF: the dashboard's figures, tables and charts, for a period."""

from __future__ import annotations

import io

from fpdf import FPDF

from vitrine.analytics import charts
from vitrine.analytics.figures import (
    ProductFunnel,
    picked_up_not_bought,
    top_by_conversion,
    top_by_interest,
)
from vitrine.analytics.service import MarketTest

COLUMNS = (
    ("Product", 70),
    ("Views", 18),
    ("QR", 14),
    ("Photo", 16),
    ("Cart", 16),
    ("Sold", 16),
    ("Conv.", 18),
)


def _latin(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")


def _heading(pdf: FPDF, text: str) -> None:
    pdf.ln(3)
    pdf.set_font("helvetica", "B", 12)
    pdf.cell(0, 8, _latin(text), new_x="LMARGIN", new_y="NEXT")


def _summary(pdf: FPDF, figures: MarketTest) -> None:
    pdf.set_font("helvetica", "", 10)
    lines = [
        f"Visitors: {figures.visitors}",
        f"Photo searches: {figures.photo_searches} ({figures.search_success:.0%} recognised)",
        f"QR scans: {figures.qr_scans}    Text searches: {figures.text_searches}",
        f"Paid orders: {figures.orders}",
    ]
    for line in lines:
        pdf.cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")


def _table(pdf: FPDF, rows: list[ProductFunnel]) -> None:
    pdf.set_font("helvetica", "B", 8)
    for title, width in COLUMNS:
        pdf.cell(width, 6, title, border="B")
    pdf.ln()
    pdf.set_font("helvetica", "", 8)
    for funnel in rows:
        values = [
            _latin(funnel.name)[:40],
            funnel.views,
            funnel.scans,
            funnel.photo_hits,
            funnel.carts,
            funnel.units_sold,
            f"{funnel.conversion:.0%}",
        ]
        for (_, width), value in zip(COLUMNS, values, strict=True):
            pdf.cell(width, 5, str(value))
        pdf.ln()
    if not rows:
        pdf.cell(0, 5, "None in this period.", new_x="LMARGIN", new_y="NEXT")


def market_test_pdf(figures: MarketTest, showroom_name: str) -> bytes:
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_title(_latin(f"Market test - {showroom_name}"))
    pdf.add_page()
    pdf.set_font("helvetica", "B", 16)
    pdf.cell(0, 10, _latin(f"Market test: {showroom_name}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", "", 10)
    period = f"{figures.start:%Y-%m-%d} to {figures.end:%Y-%m-%d} (end excluded, UTC)"
    pdf.cell(0, 6, period, new_x="LMARGIN", new_y="NEXT")
    _summary(pdf, figures)
    interest = top_by_interest(figures.funnels)
    _heading(pdf, "Funnel of the most handled products")
    pdf.image(io.BytesIO(charts.funnel_chart(interest, "png")), w=180)
    _heading(pdf, "Picked up but not bought")
    _table(pdf, picked_up_not_bought(figures.funnels))
    _heading(pdf, "Top products by interest")
    _table(pdf, interest)
    _heading(pdf, "Top products by conversion")
    _table(pdf, top_by_conversion(figures.funnels))
    _heading(pdf, "Traffic by hour (UTC)")
    pdf.image(io.BytesIO(charts.hourly_chart(figures.hourly, "png")), w=180)
    return bytes(pdf.output())

"""Printable QR shelf tags: one tag as PNG or SVG, a sheet of tags as an A4 PDF with crop marks."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import segno
from fpdf import FPDF

PAGE_W, PAGE_H = 210.0, 297.0  # A4, mm
COLUMNS, ROWS = 3, 5
TAG_W, TAG_H = 60.0, 52.0
QR_SIDE = 30.0
MARK = 4.0  # crop mark length, mm


@dataclass(frozen=True)
class TagLabel:
    product_name: str
    code: str
    url: str


def tag_url(public_url: str, code: str) -> str:
    return f"{public_url.rstrip('/')}/p/{code}"


def tag_qr(url: str) -> segno.QRCode:
    # Error correction Q survives smudges and a slightly bad print.
    return segno.make_qr(url, error="q")


def tag_png(url: str, scale: int = 10) -> bytes:
    buffer = io.BytesIO()
    tag_qr(url).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


def tag_svg(url: str) -> bytes:
    buffer = io.BytesIO()
    tag_qr(url).save(buffer, kind="svg", scale=10, border=4, xmldecl=False)
    return buffer.getvalue()


def _origin(index: int) -> tuple[float, float]:
    margin_x = (PAGE_W - COLUMNS * TAG_W) / 2
    margin_y = (PAGE_H - ROWS * TAG_H) / 2
    column, row = index % COLUMNS, (index // COLUMNS) % ROWS
    return margin_x + column * TAG_W, margin_y + row * TAG_H


def _crop_marks(pdf: FPDF, x: float, y: float) -> None:
    pdf.set_draw_color(120, 120, 120)
    pdf.set_line_width(0.1)
    for cx, cy in ((x, y), (x + TAG_W, y), (x, y + TAG_H), (x + TAG_W, y + TAG_H)):
        pdf.line(cx - MARK / 2, cy, cx + MARK / 2, cy)
        pdf.line(cx, cy - MARK / 2, cx, cy + MARK / 2)


def _draw_tag(pdf: FPDF, label: TagLabel, x: float, y: float, showroom_name: str) -> None:
    _crop_marks(pdf, x, y)
    pdf.image(io.BytesIO(tag_png(label.url)), x=x + (TAG_W - QR_SIDE) / 2, y=y + 4, w=QR_SIDE)
    pdf.set_xy(x + 3, y + 5 + QR_SIDE)
    pdf.set_font("helvetica", "B", 9)
    pdf.multi_cell(TAG_W - 6, 4, _latin(label.product_name)[:60], align="C")
    pdf.set_x(x + 3)
    pdf.set_font("helvetica", "", 8)
    pdf.cell(TAG_W - 6, 4, f"{label.code} - {_latin(showroom_name)[:30]}", align="C")


def _latin(text: str) -> str:
    """The core PDF fonts cover Latin-1 only; other characters print as '?'."""
    return text.encode("latin-1", "replace").decode("latin-1")


def tags_pdf(labels: Sequence[TagLabel], showroom_name: str) -> bytes:
    """An A4 sheet (several pages if needed) of 3 x 5 tags, each with crop marks."""
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_auto_page_break(False)
    pdf.set_title(f"Vitrine shelf tags - {_latin(showroom_name)}")
    for index, label in enumerate(labels):
        if index % (COLUMNS * ROWS) == 0:
            pdf.add_page()
        x, y = _origin(index)
        _draw_tag(pdf, label, x, y, showroom_name)
    if not labels:
        pdf.add_page()
        pdf.set_font("helvetica", "", 12)
        pdf.cell(0, 10, "No product is on display in this showroom yet.")
    return bytes(pdf.output())

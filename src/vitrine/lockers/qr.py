"""The pickup code as a QR code (it encodes the same digits the shopper could type)."""

from __future__ import annotations

import io

import segno


def pickup_qr_svg(code: str) -> str:
    """An inline SVG of the code's QR, for the notification and the shopper's order page."""
    buffer = io.BytesIO()
    segno.make(code, error="m").save(buffer, kind="svg", scale=6, border=2, xmldecl=False)
    return buffer.getvalue().decode()

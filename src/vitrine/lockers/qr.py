"""The pickup QR code as an image for the shopper's order page.

What it carries is the parcel's signed pickup token (`pickup/tokens.py`), which the kiosk
accepts at once when its scanner types it into the code field; the email carries the same QR.
"""

from __future__ import annotations

import io

import segno


def pickup_qr_svg(payload: str) -> str:
    """An inline SVG of a QR, for the shopper's order page.

    Always a full QR code (`make_qr`): for a short payload `segno.make` picks a Micro QR, which
    phones and OpenCV do not read.
    """
    buffer = io.BytesIO()
    segno.make_qr(payload, error="m").save(
        buffer, kind="svg", border=4, xmldecl=False, omitsize=True
    )
    return buffer.getvalue().decode()

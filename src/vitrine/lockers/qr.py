"""What the pickup QR code carries, and the QR as an image for the shopper's order page.

Seam for the signed pickup token (issue 12 point 1): when the kiosk accepts a signed token,
`pickup_qr_payload` returns it instead of the digits; every QR (email, order page) comes from
here. Until then the QR encodes the same digits the shopper could type, which the kiosk's
scanner types into the code field.
"""

from __future__ import annotations

import io

import segno


def pickup_qr_payload(code: str) -> str:
    return code


def pickup_qr_svg(payload: str) -> str:
    """An inline SVG of a QR, for the shopper's order page.

    Always a full QR code (`make_qr`): for ten digits `segno.make` picks a Micro QR, which
    phones and OpenCV do not read.
    """
    buffer = io.BytesIO()
    segno.make_qr(payload, error="m").save(buffer, kind="svg", scale=6, border=4, xmldecl=False)
    return buffer.getvalue().decode()

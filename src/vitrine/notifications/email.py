"""A notification as an email: plain text and HTML alternatives, the QR as an inline PNG."""

from __future__ import annotations

import io
from email.message import EmailMessage
from email.utils import make_msgid
from typing import TYPE_CHECKING

import segno

from vitrine.notifications import messages

if TYPE_CHECKING:  # senders imports this module
    from vitrine.notifications.senders import Notification


def qr_png(payload: str) -> bytes:
    buffer = io.BytesIO()
    segno.make_qr(payload, error="m").save(buffer, kind="png", scale=8, border=4)
    return buffer.getvalue()


def build_email(notification: Notification, from_address: str) -> EmailMessage:
    email = EmailMessage()
    email["From"] = from_address
    email["To"] = notification.recipient
    email["Subject"] = notification.subject
    email["Message-ID"] = make_msgid(domain=from_address.rpartition("@")[2].strip("> ") or None)
    email.set_content(notification.body)
    if notification.body_html:
        document = f"<!doctype html><html><body>{notification.body_html}</body></html>"
        email.add_alternative(document, subtype="html")
        if notification.qr is not None:
            html_part = next(p for p in email.iter_parts() if p.get_content_type() == "text/html")
            assert isinstance(html_part, EmailMessage)
            html_part.add_related(
                qr_png(notification.qr),
                maintype="image",
                subtype="png",
                cid=f"<{messages.QR_CONTENT_ID}>",
                filename="pickup-qr.png",
            )
    return email

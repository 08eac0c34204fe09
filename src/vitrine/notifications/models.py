"""The outbox table: messages to send, written with the change they announce."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from vitrine.db import Base, UtcDateTime, created_at_column, id_column


class OutboxMessage(Base):
    __tablename__ = "outbox_messages"

    id: Mapped[str] = id_column()
    channel: Mapped[str] = mapped_column(String(16), nullable=False)
    recipient: Mapped[str] = mapped_column(String(254), nullable=False)
    subject: Mapped[str] = mapped_column(String(200), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    # An optional HTML part (e.g. an inline SVG QR code) for channels that show one.
    body_html: Mapped[str | None] = mapped_column(Text, nullable=True)
    # A secret (a pickup code) is in the body: it is blanked once the message is sent.
    secret: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    created_at: Mapped[datetime] = created_at_column()
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True, nullable=True)

"""The outbox table: messages to send, written with the change they announce."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from vitrine.db import Base, UtcDateTime, created_at_column, id_column


class OutboxMessage(Base):
    """One message: pending, sent, or dead (failed too often; an operator may retry it).

    `kind`, `language` and `params` (JSON) are what the message is rendered from when it is
    sent; secrets (pickup codes) live only in `sealed`, encrypted with a key derived from the
    secret key, and are dropped once sent. `subject` and `body` are a preview with the secrets
    masked, for the operator's outbox and the shopper's order page.
    """

    __tablename__ = "outbox_messages"

    id: Mapped[str] = id_column()
    channel: Mapped[str] = mapped_column(String(16), nullable=False)
    recipient: Mapped[str] = mapped_column(String(254), nullable=False)
    subject: Mapped[str] = mapped_column(String(200), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    # Rows written before messages were rendered at send time carry their HTML here.
    body_html: Mapped[str | None] = mapped_column(Text, nullable=True)
    secret: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    kind: Mapped[str | None] = mapped_column(String(32), nullable=True)
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    params: Mapped[str | None] = mapped_column(Text, nullable=True)
    sealed: Mapped[str | None] = mapped_column(Text, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    dead_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True, nullable=True)
    created_at: Mapped[datetime] = created_at_column()
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True, nullable=True)

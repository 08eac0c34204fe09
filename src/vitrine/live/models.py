"""Live-shopping tables: sessions, pins, flash deals, comments, mutes and the event log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from vitrine.db import Base, UtcDateTime, created_at_column, id_column, utc_now


class LiveSession(Base):
    """One live stream in a showroom's live corner, from its schedule to its replay."""

    __tablename__ = "live_sessions"

    id: Mapped[str] = id_column()
    showroom_id: Mapped[str] = mapped_column(
        ForeignKey("showrooms.id", ondelete="CASCADE"), index=True, nullable=False
    )
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    scheduled_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    playback_url: Mapped[str] = mapped_column(String(500), default="", nullable=False)
    poster_url: Mapped[str] = mapped_column(String(500), default="", nullable=False)
    recording_url: Mapped[str] = mapped_column(String(500), default="", nullable=False)
    state: Mapped[str] = mapped_column(String(16), default="scheduled", nullable=False)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    # The last event's sequence number: bumped under the row lock, so sequence order is
    # commit order and a viewer resuming after N never skips an event committed late.
    last_seq: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    likes: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    peak_viewers: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    created_by: Mapped[str] = mapped_column(String(254), default="", nullable=False)
    created_at: Mapped[datetime] = created_at_column()


class LivePin(Base):
    """A product shown on the viewers' card from `pinned_at` until `unpinned_at`."""

    __tablename__ = "live_pins"

    id: Mapped[str] = id_column()
    session_id: Mapped[str] = mapped_column(
        ForeignKey("live_sessions.id", ondelete="CASCADE"), index=True, nullable=False
    )
    product_id: Mapped[str] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), nullable=False
    )
    variant_id: Mapped[str] = mapped_column(String(32), nullable=False)
    pinned_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now, nullable=False)
    unpinned_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class LiveDeal(Base):
    """A live-only price for a limited quantity until an end time (the offer a cart line cites)."""

    __tablename__ = "live_deals"
    __table_args__ = (
        CheckConstraint("remaining >= 0", name="remaining_not_negative"),
        CheckConstraint("remaining <= quantity", name="remaining_within_quantity"),
        CheckConstraint("price_minor >= 0", name="price_not_negative"),
    )

    id: Mapped[str] = id_column()
    session_id: Mapped[str] = mapped_column(
        ForeignKey("live_sessions.id", ondelete="CASCADE"), index=True, nullable=False
    )
    pin_id: Mapped[str] = mapped_column(
        ForeignKey("live_pins.id", ondelete="CASCADE"), index=True, nullable=False
    )
    variant_id: Mapped[str] = mapped_column(String(32), nullable=False)
    price_minor: Mapped[int] = mapped_column(Integer, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)
    remaining: Mapped[int] = mapped_column(Integer, nullable=False)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    created_at: Mapped[datetime] = created_at_column()


class LiveComment(Base):
    __tablename__ = "live_comments"

    id: Mapped[str] = id_column()
    session_id: Mapped[str] = mapped_column(
        ForeignKey("live_sessions.id", ondelete="CASCADE"), index=True, nullable=False
    )
    viewer: Mapped[str] = mapped_column(String(32), index=True, nullable=False)
    name: Mapped[str] = mapped_column(String(40), nullable=False)
    body: Mapped[str] = mapped_column(String(1000), nullable=False)
    removed: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    created_at: Mapped[datetime] = created_at_column()


class LiveMute(Base):
    """A viewer the host silenced in one session (by their public handle)."""

    __tablename__ = "live_mutes"
    __table_args__ = (
        UniqueConstraint("session_id", "viewer", name="uq_live_mutes_session_viewer"),
    )

    id: Mapped[str] = id_column()
    session_id: Mapped[str] = mapped_column(
        ForeignKey("live_sessions.id", ondelete="CASCADE"), nullable=False
    )
    viewer: Mapped[str] = mapped_column(String(32), nullable=False)
    created_at: Mapped[datetime] = created_at_column()


class LiveViewer(Base):
    """A distinct viewer who opened a session's page (for the total-viewers figure)."""

    __tablename__ = "live_viewers"
    __table_args__ = (
        UniqueConstraint("session_id", "viewer", name="uq_live_viewers_session_viewer"),
    )

    id: Mapped[str] = id_column()
    session_id: Mapped[str] = mapped_column(
        ForeignKey("live_sessions.id", ondelete="CASCADE"), nullable=False
    )
    viewer: Mapped[str] = mapped_column(String(32), nullable=False)
    created_at: Mapped[datetime] = created_at_column()


class LiveEventRow(Base):
    """The session's event log: what a viewer missed is replayed from here by sequence."""

    __tablename__ = "live_events"
    __table_args__ = (UniqueConstraint("session_id", "seq", name="uq_live_events_session_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(
        ForeignKey("live_sessions.id", ondelete="CASCADE"), nullable=False
    )
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    data: Mapped[dict[str, object]] = mapped_column(JSON, default=dict, nullable=False)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now, nullable=False)

"""The event table: one row per shopper action worth counting."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from vitrine.db import Base, UtcDateTime, id_column, utc_now


class ShopperEvent(Base):
    __tablename__ = "shopper_events"

    id: Mapped[str] = id_column()
    kind: Mapped[str] = mapped_column(String(32), index=True, nullable=False)
    showroom_id: Mapped[str | None] = mapped_column(String(32), index=True, nullable=True)
    product_id: Mapped[str | None] = mapped_column(String(32), index=True, nullable=True)
    visitor: Mapped[str] = mapped_column(String(64), default="", nullable=False)
    source: Mapped[str] = mapped_column(String(32), default="", nullable=False)
    detail: Mapped[dict[str, object]] = mapped_column(JSON, default=dict, nullable=False)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now, index=True, nullable=False)


class DroppedEvents(Base):
    """Events that could not be stored (queue full, database refusing), counted, never silent.

    Append-only: each writer adds the count it carried, so processes never race on one row;
    the dashboard sums them per showroom and period.
    """

    __tablename__ = "dropped_events"

    id: Mapped[str] = id_column()
    showroom_id: Mapped[str | None] = mapped_column(String(32), index=True, nullable=True)
    day: Mapped[date] = mapped_column(Date, index=True, nullable=False)
    reason: Mapped[str] = mapped_column(String(32), nullable=False)
    count: Mapped[int] = mapped_column(Integer, nullable=False)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now, nullable=False)

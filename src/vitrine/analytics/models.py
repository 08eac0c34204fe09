"""The event table: one row per shopper action worth counting."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String
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

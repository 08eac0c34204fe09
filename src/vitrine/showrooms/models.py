"""Showroom tables: a physical pop-up store and the catalog products on display in it."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from vitrine.db import Base, created_at_column, id_column


class Showroom(Base):
    __tablename__ = "showrooms"

    id: Mapped[str] = id_column()
    slug: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    address: Mapped[str] = mapped_column(String(300), default="", nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    opens_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    closes_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    home_delivery_days: Mapped[str] = mapped_column(String(20), default="3-5", nullable=False)
    locker_delivery_days: Mapped[str] = mapped_column(String(20), default="2", nullable=False)
    created_at: Mapped[datetime] = created_at_column()


class DisplayItem(Base):
    """A catalog product physically on display in a showroom."""

    __tablename__ = "display_items"
    __table_args__ = (
        UniqueConstraint("showroom_id", "product_id", name="uq_display_items_showroom_product"),
    )

    id: Mapped[str] = id_column()
    showroom_id: Mapped[str] = mapped_column(
        ForeignKey("showrooms.id", ondelete="CASCADE"), index=True, nullable=False
    )
    product_id: Mapped[str] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), index=True, nullable=False
    )
    position: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    created_at: Mapped[datetime] = created_at_column()


class ShelfTag(Base):
    """A printed QR tag beside a display item; its short code makes every scan attributable."""

    __tablename__ = "shelf_tags"

    id: Mapped[str] = id_column()
    code: Mapped[str] = mapped_column(String(16), unique=True, nullable=False)
    showroom_id: Mapped[str] = mapped_column(
        ForeignKey("showrooms.id", ondelete="CASCADE"), index=True, nullable=False
    )
    product_id: Mapped[str] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), index=True, nullable=False
    )
    created_at: Mapped[datetime] = created_at_column()

"""Showroom tables: a physical pop-up store, the products on display, shoppers' candidate photos."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, Float, ForeignKey, Integer, String, UniqueConstraint
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
    # Shoppers' candidate photos at or above this confidence teach the search without waiting
    # for the operator; None: the operator decides every one.
    auto_accept_confidence: Mapped[float | None] = mapped_column(Float, nullable=True)
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


class CandidatePhoto(Base):
    """A shopper's photo that may teach the search: after their photo search they picked this
    product (from the answer's list, or by name). Waits for the operator's accept or reject;
    kept no longer than the photo itself (the review-photo retention)."""

    __tablename__ = "candidate_photos"
    __table_args__ = (
        UniqueConstraint("photo_key", name="uq_candidate_photos_photo_key"),
        CheckConstraint("picked_from IN ('list', 'text')", name="known_pick"),
        CheckConstraint("confidence >= 0 AND confidence <= 1", name="confidence_is_probability"),
    )

    id: Mapped[str] = id_column()
    showroom_id: Mapped[str] = mapped_column(
        ForeignKey("showrooms.id", ondelete="CASCADE"), index=True, nullable=False
    )
    product_id: Mapped[str] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), index=True, nullable=False
    )
    # The kept photo of the search (analytics.review_photos key: "<day>/<random>.jpg").
    photo_key: Mapped[str] = mapped_column(String(64), nullable=False)
    picked_from: Mapped[str] = mapped_column(String(8), nullable=False)
    confidence: Mapped[float] = mapped_column(Float, nullable=False)
    created_at: Mapped[datetime] = created_at_column()

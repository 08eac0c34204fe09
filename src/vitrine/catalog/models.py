"""Catalog tables: products, their variants (each with a price) and their images."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vitrine.db import Base, created_at_column, id_column


class Product(Base):
    __tablename__ = "products"

    id: Mapped[str] = id_column()
    sku: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, default="", nullable=False)
    category: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    brand: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    created_at: Mapped[datetime] = created_at_column()

    variants: Mapped[list[Variant]] = relationship(
        back_populates="product",
        cascade="all, delete-orphan",
        order_by="Variant.position",
    )
    images: Mapped[list[ProductImage]] = relationship(
        back_populates="product",
        cascade="all, delete-orphan",
        order_by="ProductImage.created_at",
    )


class Variant(Base):
    """A purchasable form of a product (size, pack size, colour) with its own SKU and price."""

    __tablename__ = "variants"
    __table_args__ = (CheckConstraint("price_minor >= 0", name="price_not_negative"),)

    id: Mapped[str] = id_column()
    product_id: Mapped[str] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), index=True, nullable=False
    )
    sku: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    label: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    price_minor: Mapped[int] = mapped_column(Integer, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    position: Mapped[int] = mapped_column(Integer, default=0, nullable=False)

    product: Mapped[Product] = relationship(back_populates="variants")


class ProductImage(Base):
    """A photo of a product: a catalog shot, or an in-store enrollment shot taken in a showroom."""

    __tablename__ = "product_images"
    __table_args__ = (
        UniqueConstraint("product_id", "sha256", name="uq_product_images_product_sha256"),
        CheckConstraint("source IN ('catalog', 'enrollment')", name="known_source"),
    )

    id: Mapped[str] = id_column()
    product_id: Mapped[str] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), index=True, nullable=False
    )
    variant_id: Mapped[str | None] = mapped_column(
        ForeignKey("variants.id", ondelete="SET NULL"), nullable=True
    )
    showroom_id: Mapped[str | None] = mapped_column(
        ForeignKey("showrooms.id", ondelete="CASCADE"), nullable=True, index=True
    )
    source: Mapped[str] = mapped_column(String(16), nullable=False, default="catalog")
    media_key: Mapped[str] = mapped_column(String(200), nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    width: Mapped[int] = mapped_column(Integer, nullable=False)
    height: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = created_at_column()

    product: Mapped[Product] = relationship(back_populates="images")

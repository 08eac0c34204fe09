"""Catalog tables: products, their variants (each with a price) and their images."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
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
    texts: Mapped[list[ProductText]] = relationship(cascade="all, delete-orphan")


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


class ProductText(Base):
    """A product's name and description in one language (the product row holds the default)."""

    __tablename__ = "product_texts"
    __table_args__ = (
        UniqueConstraint("product_id", "language", name="uq_product_texts_product_language"),
    )

    id: Mapped[str] = id_column()
    product_id: Mapped[str] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), index=True, nullable=False
    )
    language: Mapped[str] = mapped_column(String(8), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, default="", nullable=False)
    category: Mapped[str] = mapped_column(String(100), default="", nullable=False)


class Warehouse(Base):
    __tablename__ = "warehouses"

    id: Mapped[str] = id_column()
    code: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)


class StockLevel(Base):
    """Units of a variant in a warehouse; `reserved` units are promised to unshipped orders."""

    __tablename__ = "stock_levels"
    __table_args__ = (
        UniqueConstraint("variant_id", "warehouse_id", name="uq_stock_levels_variant_warehouse"),
        CheckConstraint("reserved >= 0 AND reserved <= on_hand", name="reserved_within_on_hand"),
    )

    id: Mapped[str] = id_column()
    variant_id: Mapped[str] = mapped_column(
        ForeignKey("variants.id", ondelete="CASCADE"), index=True, nullable=False
    )
    warehouse_id: Mapped[str] = mapped_column(
        ForeignKey("warehouses.id", ondelete="CASCADE"), nullable=False
    )
    on_hand: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    reserved: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class ExchangeRate(Base):
    """How many `quote` currency units one `base` unit buys, for display only (never charged)."""

    __tablename__ = "exchange_rates"
    __table_args__ = (UniqueConstraint("base", "quote", name="uq_exchange_rates_base_quote"),)

    id: Mapped[str] = id_column()
    base: Mapped[str] = mapped_column(String(3), nullable=False)
    quote: Mapped[str] = mapped_column(String(3), nullable=False)
    rate: Mapped[Decimal] = mapped_column(Numeric(18, 8), nullable=False)
    updated_at: Mapped[datetime] = created_at_column()

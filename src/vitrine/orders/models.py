"""Order tables: carts kept per browser, orders with their lines, state history and payments."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vitrine.db import Base, UtcDateTime, created_at_column, id_column, utc_now


class Cart(Base):
    """A shopper's cart; its 128-bit random id lives in the browser's cookie."""

    __tablename__ = "carts"

    id: Mapped[str] = id_column()
    showroom_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # The signed-in shopper who owns the cart, so it follows them to another browser.
    owner: Mapped[str | None] = mapped_column(String(254), nullable=True, index=True)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(
        UtcDateTime(), default=utc_now, onupdate=utc_now, nullable=False
    )

    lines: Mapped[list[CartLine]] = relationship(
        back_populates="cart", cascade="all, delete-orphan", order_by="CartLine.created_at"
    )


class CartLine(Base):
    __tablename__ = "cart_lines"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[str] = id_column()
    cart_id: Mapped[str] = mapped_column(
        ForeignKey("carts.id", ondelete="CASCADE"), index=True, nullable=False
    )
    variant_id: Mapped[str] = mapped_column(
        ForeignKey("variants.id", ondelete="CASCADE"), nullable=False
    )
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)
    # A line bought through a special offer (a live flash deal) carries its reference and price.
    offer_ref: Mapped[str | None] = mapped_column(String(64), nullable=True)
    offer_price_minor: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = created_at_column()

    cart: Mapped[Cart] = relationship(back_populates="lines")


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint("delivery_method IN ('home', 'locker')", name="known_delivery"),
        CheckConstraint("total_minor >= 0", name="total_not_negative"),
    )

    id: Mapped[str] = id_column()
    tracking_token: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    showroom_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    state: Mapped[str] = mapped_column(String(24), nullable=False)
    email: Mapped[str] = mapped_column(String(254), default="", nullable=False)
    phone: Mapped[str] = mapped_column(String(32), default="", nullable=False)
    delivery_method: Mapped[str] = mapped_column(String(8), nullable=False)
    recipient_name: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    address_line: Mapped[str] = mapped_column(String(300), default="", nullable=False)
    postcode: Mapped[str] = mapped_column(String(16), default="", nullable=False)
    city: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    locker_site_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # The cart the order came from, emptied when the payment is confirmed (maybe by recovery).
    cart_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    total_minor: Mapped[int] = mapped_column(Integer, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    # The shopper's language at checkout: every message about the order is written in it.
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    created_at: Mapped[datetime] = created_at_column()

    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderLine.position"
    )
    events: Mapped[list[OrderEvent]] = relationship(
        cascade="all, delete-orphan", order_by="OrderEvent.at"
    )
    payments: Mapped[list[Payment]] = relationship(
        cascade="all, delete-orphan", order_by="Payment.created_at"
    )


class OrderLine(Base):
    """What was bought, frozen at the price and name of the moment of ordering."""

    __tablename__ = "order_lines"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[str] = id_column()
    order_id: Mapped[str] = mapped_column(
        ForeignKey("orders.id", ondelete="CASCADE"), index=True, nullable=False
    )
    variant_id: Mapped[str] = mapped_column(String(32), nullable=False)
    product_id: Mapped[str] = mapped_column(String(32), nullable=False)
    sku: Mapped[str] = mapped_column(String(64), nullable=False)
    product_name: Mapped[str] = mapped_column(String(200), nullable=False)
    variant_label: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    unit_price_minor: Mapped[int] = mapped_column(Integer, nullable=False)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)
    position: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    offer_ref: Mapped[str | None] = mapped_column(String(64), nullable=True)

    order: Mapped[Order] = relationship(back_populates="lines")


class OrderEvent(Base):
    """One change of an order's state: when, by whom, and why."""

    __tablename__ = "order_events"

    id: Mapped[str] = id_column()
    order_id: Mapped[str] = mapped_column(
        ForeignKey("orders.id", ondelete="CASCADE"), index=True, nullable=False
    )
    from_state: Mapped[str | None] = mapped_column(String(24), nullable=True)
    to_state: Mapped[str] = mapped_column(String(24), nullable=False)
    actor: Mapped[str] = mapped_column(String(100), nullable=False)
    note: Mapped[str] = mapped_column(Text, default="", nullable=False)
    at: Mapped[datetime] = created_at_column()


PAYMENT_STATUSES = ("pending", "captured", "declined", "refunded", "abandoned")


class Payment(Base):
    """One payment attempt: recorded `pending` (committed) before the gateway is asked, then
    settled: `captured`, `declined`, `abandoned` (the gateway never charged its key) or later
    `refunded`. `idempotency_key` is the key the gateway was given."""

    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'captured', 'declined', 'refunded', 'abandoned')",
            name="known_status",
        ),
    )

    id: Mapped[str] = id_column()
    order_id: Mapped[str] = mapped_column(
        ForeignKey("orders.id", ondelete="CASCADE"), index=True, nullable=False
    )
    gateway: Mapped[str] = mapped_column(String(32), nullable=False)
    gateway_reference: Mapped[str] = mapped_column(String(100), nullable=False)
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    amount_minor: Mapped[int] = mapped_column(Integer, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    decline_code: Mapped[str] = mapped_column(String(40), default="", nullable=False)
    created_at: Mapped[datetime] = created_at_column()
    settled_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)

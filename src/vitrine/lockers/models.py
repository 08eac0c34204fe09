"""Locker tables: sites, their compartments, parcels (reservation to pickup), couriers, attempts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from vitrine.db import Base, UtcDateTime, created_at_column, id_column

COMPARTMENT_STATES = "state IN ('free', 'reserved', 'occupied', 'out_of_service')"
PARCEL_STATES = (
    "state IN ('reserved', 'awaiting_delivery', 'deposited', 'collected', "
    "'return_to_sender', 'returned', 'cancelled')"
)


def _moment(nullable: bool = True) -> Mapped[datetime | None]:
    return mapped_column(UtcDateTime(), nullable=nullable)


class LockerSite(Base):
    __tablename__ = "locker_sites"

    id: Mapped[str] = id_column()
    ref: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    address: Mapped[str] = mapped_column(String(300), default="", nullable=False)
    latitude: Mapped[float] = mapped_column(Float, nullable=False)
    longitude: Mapped[float] = mapped_column(Float, nullable=False)
    opening_hours: Mapped[str] = mapped_column(String(200), default="24/7", nullable=False)
    # The keypad lockout after too many failed codes at this site (see attempts.py).
    locked_until: Mapped[datetime | None] = _moment()
    created_at: Mapped[datetime] = created_at_column()


class LockerCompartment(Base):
    __tablename__ = "locker_compartments"
    __table_args__ = (
        UniqueConstraint("site_id", "label", name="uq_locker_compartments_site_label"),
        CheckConstraint(COMPARTMENT_STATES, name="known_state"),
        # A compartment holds a parcel exactly when it is reserved or occupied.
        CheckConstraint(
            "(state IN ('reserved', 'occupied')) = (parcel_id IS NOT NULL)", name="holds_parcel"
        ),
        Index("ix_locker_compartments_site_size_state", "site_id", "size", "state"),
    )

    id: Mapped[str] = id_column()
    site_id: Mapped[str] = mapped_column(
        ForeignKey("locker_sites.id", ondelete="CASCADE"), nullable=False
    )
    label: Mapped[str] = mapped_column(String(8), nullable=False)
    size: Mapped[str] = mapped_column(String(8), nullable=False)
    state: Mapped[str] = mapped_column(String(16), default="free", nullable=False)
    parcel_id: Mapped[str | None] = mapped_column(
        ForeignKey("locker_parcels.id", ondelete="SET NULL"), unique=True, nullable=True
    )


class LockerParcel(Base):
    """One order's locker delivery: reserved at checkout, deposited, collected or returned."""

    __tablename__ = "locker_parcels"
    __table_args__ = (CheckConstraint(PARCEL_STATES, name="known_state"),)

    id: Mapped[str] = id_column()
    order_ref: Mapped[str] = mapped_column(String(64), index=True, nullable=False)
    recipient: Mapped[str] = mapped_column(String(254), nullable=False)
    site_id: Mapped[str] = mapped_column(ForeignKey("locker_sites.id"), index=True, nullable=False)
    chosen_site_id: Mapped[str] = mapped_column(ForeignKey("locker_sites.id"), nullable=False)
    size: Mapped[str] = mapped_column(String(8), nullable=False)
    state: Mapped[str] = mapped_column(String(20), nullable=False)
    compartment_label: Mapped[str | None] = mapped_column(String(8), nullable=True)
    fallback_reason: Mapped[str | None] = mapped_column(String(300), nullable=True)
    reserved_until: Mapped[datetime | None] = _moment()
    deposited_at: Mapped[datetime | None] = _moment()
    deposited_by: Mapped[str | None] = mapped_column(
        ForeignKey("locker_couriers.id"), nullable=True
    )
    code_hash: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    code_expires_at: Mapped[datetime | None] = _moment()
    # The code itself, sealed (notifications.sealing) so the order page can show it until pickup.
    code_sealed: Mapped[str | None] = mapped_column(Text, nullable=True)
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    # The shopper's order page (its unguessable path), linked from every message.
    order_path: Mapped[str | None] = mapped_column(String(200), nullable=True)
    reminder_sent_at: Mapped[datetime | None] = _moment()
    closed_at: Mapped[datetime | None] = _moment()
    created_at: Mapped[datetime] = created_at_column()


class Courier(Base):
    __tablename__ = "locker_couriers"

    id: Mapped[str] = id_column()
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    revoked_at: Mapped[datetime | None] = _moment()
    created_at: Mapped[datetime] = created_at_column()


class PickupAttempt(Base):
    """The audit log of every pickup attempt, and the memory of the rate limits."""

    __tablename__ = "locker_pickup_attempts"
    __table_args__ = (
        Index("ix_locker_pickup_attempts_site_time", "site_id", "created_at"),
        Index("ix_locker_pickup_attempts_client_time", "client", "created_at"),
    )

    id: Mapped[str] = id_column()
    site_id: Mapped[str] = mapped_column(
        ForeignKey("locker_sites.id", ondelete="CASCADE"), nullable=False
    )
    client: Mapped[str] = mapped_column(String(64), nullable=False)
    outcome: Mapped[str] = mapped_column(String(20), nullable=False)
    counts_as_failure: Mapped[bool] = mapped_column(Boolean, nullable=False)
    parcel_id: Mapped[str | None] = mapped_column(
        ForeignKey("locker_parcels.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = created_at_column()

"""Locker parcels: reservations at checkout, order status, compartment claims, couriers.

Every public use case here owns its transaction: it commits on success and rolls back before
raising. Parcels and compartments move with conditional UPDATEs (site_service.move_compartment,
move_parcel below), so a move that lost a race says so instead of happening twice. Deposit,
returns and housekeeping, which also tell the shopper, are in flows.py; pickup in pickup/.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from vitrine.db import utc_now
from vitrine.lockers.codes import courier_token_hash, new_courier_token
from vitrine.lockers.errors import (
    CourierRefused,
    LockerError,
    NoRoom,
    UnknownParcel,
    WrongState,
)
from vitrine.lockers.models import Courier, LockerCompartment, LockerParcel
from vitrine.lockers.policy import LockerPolicy
from vitrine.lockers.site_service import get_site, move_compartment
from vitrine.lockers.sizes import sizes_from
from vitrine.lockers.states import (
    ACTIVE_PARCEL_STATES,
    ParcelState,
    compartment_transition,
    parcel_transition,
)
from vitrine.notifications.sealing import Sealer

# Compartment claims and parcel moves (conditional updates: they say whether they happened) ----


def move_parcel(db_session: Session, parcel: LockerParcel, event: str, **values: object) -> bool:
    transition = parcel_transition(event)
    statement = (
        update(LockerParcel)
        .where(LockerParcel.id == parcel.id, LockerParcel.state.in_(transition.sources))
        .values(state=transition.target, **values)
    )
    moved = cast(CursorResult[Any], db_session.execute(statement)).rowcount == 1
    if moved:
        db_session.refresh(parcel)
    return moved


def claim_compartment(
    db_session: Session, *, site_id: str, sizes: list[str], event: str, parcel_id: str
) -> LockerCompartment | None:
    """The smallest free compartment among `sizes` (smallest first), moved by `event`."""
    source = compartment_transition(event).sources
    for size in sizes:
        for _ in range(20):  # another request may take our candidate first: try the next one
            candidate = db_session.scalar(
                select(LockerCompartment.id)
                .where(LockerCompartment.site_id == site_id, LockerCompartment.size == size)
                .where(LockerCompartment.state.in_(source))
                .order_by(LockerCompartment.label)
                .limit(1)
                .with_for_update(skip_locked=True)
            )
            if candidate is None:
                break
            if move_compartment(db_session, candidate, event, parcel_id):
                return db_session.get(LockerCompartment, candidate, populate_existing=True)
    return None


def held_compartment(db_session: Session, parcel: LockerParcel) -> LockerCompartment | None:
    return db_session.scalar(
        select(LockerCompartment).where(LockerCompartment.parcel_id == parcel.id)
    )


# Reservations at checkout -----------------------------------------------------------------------


@dataclass(frozen=True)
class ParcelStatus:
    order_ref: str
    state: str
    site_name: str
    site_address: str
    compartment: str | None
    pickup_until: datetime | None
    moved_from: str | None
    message: str
    pickup_code: str | None = None  # only while the parcel waits in its compartment


def active_parcel(
    *, db_session: Session, order_ref: str, for_update: bool = False
) -> LockerParcel | None:
    query = select(LockerParcel).where(
        LockerParcel.order_ref == order_ref, LockerParcel.state.in_(ACTIVE_PARCEL_STATES)
    )
    if for_update:
        query = query.with_for_update()
    return db_session.scalar(query)


def reserve_compartment(
    *,
    db_session: Session,
    site_id: str,
    size: str,
    order_ref: str,
    recipient: str,
    policy: LockerPolicy,
    language: str = "en",
    order_path: str | None = None,
    now: datetime | None = None,
) -> LockerParcel:
    """Hold a compartment of `size` (or larger) for an order until it is paid or the hold ends.

    `language` and `order_path` (the shopper's order page) are what the messages use.
    """
    now = now or utc_now()
    try:
        parcel = _reserve(db_session, site_id, size, order_ref, recipient, policy, now)
        parcel.language, parcel.order_path = language, order_path
    except (LockerError, ValueError):
        db_session.rollback()
        raise
    db_session.commit()
    return parcel


def _reserve(
    db_session: Session,
    site_id: str,
    size: str,
    order_ref: str,
    recipient: str,
    policy: LockerPolicy,
    now: datetime,
) -> LockerParcel:
    site = get_site(db_session=db_session, site_id=site_id)
    sizes = sizes_from(policy.sizes, size)
    if active_parcel(db_session=db_session, order_ref=order_ref) is not None:
        raise WrongState(f"order {order_ref} already has a locker reservation")
    parcel = LockerParcel(
        order_ref=order_ref,
        recipient=recipient,
        site_id=site.id,
        chosen_site_id=site.id,
        size=size,
        state=ParcelState.RESERVED,
        reserved_until=now + policy.reservation,
        created_at=now,
    )
    db_session.add(parcel)
    db_session.flush()
    compartment = claim_compartment(
        db_session, site_id=site.id, sizes=sizes, event="reserve", parcel_id=parcel.id
    )
    if compartment is None:
        raise NoRoom(f"the {site.name} locker has no free compartment for size {size}")
    parcel.compartment_label = compartment.label
    return parcel


def confirm_reservation(
    *,
    db_session: Session,
    order_ref: str,
    policy: LockerPolicy | None = None,
    now: datetime | None = None,
) -> LockerParcel:
    """The order is paid: keep its compartment until the courier comes (idempotent).

    If the hold lapsed before the payment landed (expired by housekeeping, or cancelled), a
    compartment is held again at the same site; NoRoom if there is none any more, so the caller
    can offer another site or home delivery.
    """
    now = now or utc_now()
    try:
        parcel = _confirmed(db_session, order_ref, policy or LockerPolicy(secret_key=""), now)
    except (LockerError, ValueError):
        db_session.rollback()
        raise
    db_session.commit()
    return parcel


def _confirmed(
    db_session: Session, order_ref: str, policy: LockerPolicy, now: datetime
) -> LockerParcel:
    parcel = active_parcel(db_session=db_session, order_ref=order_ref, for_update=True)
    if parcel is not None and parcel.state == ParcelState.RESERVED:
        if move_parcel(db_session, parcel, "confirm", reserved_until=None):
            return parcel
        parcel = active_parcel(db_session=db_session, order_ref=order_ref)  # expired meanwhile
    if parcel is not None:
        if parcel.state != ParcelState.AWAITING_DELIVERY:
            raise WrongState(f"the locker parcel of order {order_ref} is already {parcel.state}")
        return parcel
    lapsed = latest_parcel(db_session=db_session, order_ref=order_ref)
    if lapsed is None:
        raise UnknownParcel(f"order {order_ref} has no locker reservation")
    again = _reserve(
        db_session, lapsed.site_id, lapsed.size, order_ref, lapsed.recipient, policy, now
    )
    again.language, again.order_path = lapsed.language, lapsed.order_path
    move_parcel(db_session, again, "confirm", reserved_until=None)
    return again


def latest_parcel(*, db_session: Session, order_ref: str) -> LockerParcel | None:
    return db_session.scalar(
        select(LockerParcel)
        .where(LockerParcel.order_ref == order_ref)
        .order_by(LockerParcel.created_at.desc(), LockerParcel.id)
        .limit(1)
    )


def cancel_reservation(
    *, db_session: Session, order_ref: str, now: datetime | None = None
) -> LockerParcel:
    """Give the compartment back (order cancelled before the parcel was deposited)."""
    parcel = _parcel_in(db_session, order_ref, "cancel")
    release_parcel(db_session, parcel, "cancel", now or utc_now())
    db_session.commit()
    return parcel


def release_parcel(db_session: Session, parcel: LockerParcel, event: str, now: datetime) -> bool:
    """Close a parcel that holds a reserved compartment and free that compartment."""
    compartment = held_compartment(db_session, parcel)
    if not move_parcel(db_session, parcel, event, closed_at=now):
        return False
    if compartment is not None:
        move_compartment(db_session, compartment.id, "release", parcel.id)
    return True


def _parcel_in(db_session: Session, order_ref: str, event: str) -> LockerParcel:
    parcel = active_parcel(db_session=db_session, order_ref=order_ref, for_update=True)
    if parcel is None:
        db_session.rollback()
        raise UnknownParcel(f"order {order_ref} has no locker reservation")
    if parcel.state not in parcel_transition(event).sources:
        db_session.rollback()
        raise WrongState(f"the locker parcel of order {order_ref} is {parcel.state}")
    return parcel


def parcel_status(
    *, db_session: Session, order_ref: str, sealer: Sealer | None = None
) -> ParcelStatus:
    """What the order page says about its locker delivery (with a sealer: the pickup code)."""
    parcel = latest_parcel(db_session=db_session, order_ref=order_ref)
    if parcel is None:
        raise UnknownParcel(f"order {order_ref} has no locker delivery")
    site = get_site(db_session=db_session, site_id=parcel.site_id)
    moved_from = None
    if parcel.chosen_site_id != parcel.site_id:
        moved_from = get_site(db_session=db_session, site_id=parcel.chosen_site_id).name
    return ParcelStatus(
        order_ref=order_ref,
        state=parcel.state,
        site_name=site.name,
        site_address=site.address,
        compartment=parcel.compartment_label if parcel.state == ParcelState.DEPOSITED else None,
        pickup_until=parcel.code_expires_at if parcel.state == ParcelState.DEPOSITED else None,
        moved_from=moved_from,
        message=_status_message(parcel.state, site.name, moved_from),
        pickup_code=_pickup_code(parcel, sealer),
    )


def _pickup_code(parcel: LockerParcel, sealer: Sealer | None) -> str | None:
    if sealer is None or parcel.state != ParcelState.DEPOSITED or parcel.code_sealed is None:
        return None
    return sealer.open(parcel.code_sealed)


STATUS_MESSAGES = {
    ParcelState.RESERVED: "A compartment is held at {site} until payment.",
    ParcelState.AWAITING_DELIVERY: "On its way to the {site} locker.",
    ParcelState.DEPOSITED: "Ready for pickup at the {site} locker.",
    ParcelState.COLLECTED: "Picked up at the {site} locker.",
    ParcelState.RETURN_TO_SENDER: "Not picked up in time: returned to sender.",
    ParcelState.RETURNED: "Not picked up in time: returned to sender.",
    ParcelState.CANCELLED: "Locker reservation cancelled.",
}


def _status_message(state: str, site: str, moved_from: str | None) -> str:
    message = STATUS_MESSAGES[ParcelState(state)].format(site=site)
    if moved_from:
        message += f" Moved to {site} because {moved_from} was full."
    return message


# Couriers ---------------------------------------------------------------------------------------


def create_courier(*, db_session: Session, name: str) -> tuple[Courier, str]:
    """A courier and its bearer token; only the token's hash is stored, so show it now."""
    if not name.strip():
        raise LockerError("a courier needs a name")
    token = new_courier_token()
    courier = Courier(name=name.strip(), token_hash=courier_token_hash(token))
    db_session.add(courier)
    db_session.commit()
    return courier, token


def revoke_courier(*, db_session: Session, courier_id: str, now: datetime | None = None) -> None:
    courier = db_session.get(Courier, courier_id)
    if courier is None:
        raise CourierRefused(f"no courier {courier_id}")
    courier.revoked_at = courier.revoked_at or now or utc_now()
    db_session.commit()


def authenticate_courier(*, db_session: Session, token: str) -> Courier:
    courier = db_session.scalar(
        select(Courier).where(Courier.token_hash == courier_token_hash(token))
    )
    if courier is None:
        raise CourierRefused("unknown courier token")
    if courier.revoked_at is not None:
        raise CourierRefused("this courier token was revoked")
    return courier

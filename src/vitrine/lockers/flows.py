"""Locker flows that also tell the shopper: courier deposit (with fallback), returns, housekeeping.

Each notification is written to the outbox in the same transaction as the change it announces,
so a shopper is told exactly when the change happened; the outbox is sent afterwards.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, cast

from sqlalchemy import select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from vitrine.db import utc_now
from vitrine.lockers.codes import format_code, new_pickup_code, pickup_code_hash
from vitrine.lockers.distance import distance_km
from vitrine.lockers.errors import LockerError, NoRoom, UnknownParcel, WrongState
from vitrine.lockers.models import Courier, LockerCompartment, LockerParcel, LockerSite
from vitrine.lockers.parcel_service import (
    active_parcel,
    authenticate_courier,
    claim_compartment,
    held_compartment,
    move_parcel,
    release_parcel,
)
from vitrine.lockers.pickup.tokens import make_pickup_token
from vitrine.lockers.policy import LockerPolicy
from vitrine.lockers.site_service import get_site, list_sites, move_compartment
from vitrine.lockers.sizes import sizes_fitting, sizes_from
from vitrine.lockers.states import ParcelState
from vitrine.notifications import service as outbox
from vitrine.notifications.sealing import Sealer


@dataclass(frozen=True)
class Deposit:
    """Where the courier puts the parcel: a compartment here, or another site when this is full."""

    status: Literal["deposited", "redirected"]
    site: LockerSite
    compartment: str
    parcel: LockerParcel
    km: float = 0.0


def deposit(
    *,
    db_session: Session,
    courier_token: str,
    site_id: str,
    order_ref: str,
    policy: LockerPolicy,
    size: str | None = None,
    dimensions_cm: Sequence[float] | None = None,
    now: datetime | None = None,
) -> Deposit:
    """Put a paid order's parcel in the smallest free compartment that fits, and send its code.

    If none fits at this site, the parcel is redirected to the nearest site within
    policy.fallback_km with room (a compartment is reserved there and the shopper is told);
    if there is none either, NoRoom is raised and nothing changes.
    """
    try:
        courier = authenticate_courier(db_session=db_session, token=courier_token)
        result = _deposit(db_session, courier, site_id, order_ref, policy, size, dimensions_cm, now)
    except (LockerError, ValueError):
        db_session.rollback()
        raise
    db_session.commit()
    return result


def _deposit(
    db_session: Session,
    courier: Courier,
    site_id: str,
    order_ref: str,
    policy: LockerPolicy,
    size: str | None,
    dimensions_cm: Sequence[float] | None,
    now: datetime | None,
) -> Deposit:
    now = now or utc_now()
    site = get_site(db_session=db_session, site_id=site_id)
    parcel = _parcel_to_deposit(db_session, order_ref, site)
    if dimensions_cm is not None:
        sizes = sizes_fitting(policy.sizes, dimensions_cm)
    else:
        sizes = sizes_from(policy.sizes, size or parcel.size)
    compartment = _compartment_here(db_session, parcel, sizes)
    if compartment is None:
        return _redirect(db_session, parcel, site, sizes, policy, now)
    code = _unused_code(db_session, site.id, policy)
    sealer = Sealer(policy.secret_key)
    move_parcel(
        db_session,
        parcel,
        "deposit",
        compartment_label=compartment.label,
        deposited_at=now,
        deposited_by=courier.id,
        code_hash=pickup_code_hash(secret_key=policy.secret_key, site_id=site.id, code=code),
        code_expires_at=now + policy.pickup_hold,
        code_sealed=sealer.seal(code),
    )
    _tell_code(db_session, parcel, site, code, policy.secret_key, now)
    return Deposit("deposited", site, compartment.label, parcel)


def _parcel_to_deposit(db_session: Session, order_ref: str, site: LockerSite) -> LockerParcel:
    parcel = active_parcel(db_session=db_session, order_ref=order_ref, for_update=True)
    if parcel is None:
        raise UnknownParcel(f"order {order_ref} has no locker delivery")
    if parcel.state == ParcelState.RESERVED:
        raise WrongState(f"order {order_ref} is not paid yet: do not deposit its parcel")
    if parcel.state != ParcelState.AWAITING_DELIVERY:
        raise WrongState(f"the parcel of order {order_ref} is already {parcel.state}")
    if parcel.site_id != site.id:
        goes_to = get_site(db_session=db_session, site_id=parcel.site_id)
        raise WrongState(f"the parcel of order {order_ref} goes to the {goes_to.name} locker")
    return parcel


def _compartment_here(
    db_session: Session, parcel: LockerParcel, sizes: list[str]
) -> LockerCompartment | None:
    """The smallest fitting compartment; the one held for the parcel is preferred in its size.

    The held one is released first (a parcel holds one compartment at a time); if nothing
    fits here the caller rolls back or redirects, and the release is part of that outcome.
    """
    held = held_compartment(db_session, parcel)
    if held is not None:
        move_compartment(db_session, held.id, "release", parcel.id)
    for size in sizes:
        same_size = held is not None and held.size == size
        if (
            held is not None
            and same_size
            and move_compartment(db_session, held.id, "fill", parcel.id)
        ):
            return held
        claimed = claim_compartment(
            db_session, site_id=parcel.site_id, sizes=[size], event="fill", parcel_id=parcel.id
        )
        if claimed is not None:
            return claimed
    return None


def _redirect(
    db_session: Session,
    parcel: LockerParcel,
    full_site: LockerSite,
    sizes: list[str],
    policy: LockerPolicy,
    now: datetime,
) -> Deposit:
    for site, km in _sites_near(db_session, full_site, policy.fallback_km):
        claimed = claim_compartment(
            db_session, site_id=site.id, sizes=sizes, event="reserve", parcel_id=parcel.id
        )
        if claimed is None:
            continue
        parcel.site_id, parcel.compartment_label = site.id, claimed.label
        parcel.fallback_reason = f"{full_site.name} was full (no free {'/'.join(sizes)})"
        moved = {"from_site": full_site.name, "site": site.name, "address": site.address, "km": km}
        _tell(db_session, parcel, "moved_to_other_site", moved, now)
        return Deposit("redirected", site, claimed.label, parcel, km)
    raise NoRoom(
        f"the {full_site.name} locker has no free compartment for this parcel "
        f"and no site within {policy.fallback_km:g} km has one"
    )


def _sites_near(
    db_session: Session, origin: LockerSite, within_km: float
) -> list[tuple[LockerSite, float]]:
    nearby = [
        (site, distance_km(origin.latitude, origin.longitude, site.latitude, site.longitude))
        for site in list_sites(db_session=db_session)
        if site.id != origin.id
    ]
    return sorted(((s, km) for s, km in nearby if km <= within_km), key=lambda pair: pair[1])


def _unused_code(db_session: Session, site_id: str, policy: LockerPolicy) -> str:
    """A fresh code whose hash no parcel of this site ever had (a clash is ~1e-10 likely)."""
    while True:
        code = new_pickup_code()
        digest = pickup_code_hash(secret_key=policy.secret_key, site_id=site_id, code=code)
        if db_session.scalar(select(LockerParcel.id).where(LockerParcel.code_hash == digest)):
            continue
        return code


def _tell_code(
    db_session: Session,
    parcel: LockerParcel,
    site: LockerSite,
    code: str,
    sealer_key: str,
    now: datetime,
) -> None:
    moved_from = None
    if parcel.chosen_site_id != site.id:
        moved_from = get_site(db_session=db_session, site_id=parcel.chosen_site_id).name
    params = {
        "site": site.name,
        "address": site.address,
        "expires_at": parcel.code_expires_at or now,
        "moved_from": moved_from,
    }
    assert parcel.code_hash is not None  # set by the deposit
    token = make_pickup_token(
        secret_key=sealer_key, site_id=site.id, parcel_id=parcel.id, code_hash=parcel.code_hash
    )
    secrets = {"code": format_code(code), "qr": token}
    sealer = Sealer(sealer_key)
    _tell(db_session, parcel, "ready_for_pickup", params, now, secrets=secrets, sealer=sealer)


def _tell(
    db_session: Session,
    parcel: LockerParcel,
    kind: str,
    params: dict[str, object],
    now: datetime,
    *,
    secrets: dict[str, str] | None = None,
    sealer: Sealer | None = None,
) -> None:
    if parcel.order_path:
        params = params | {"path": parcel.order_path}
    outbox.enqueue(
        db_session=db_session,
        recipient=parcel.recipient,
        kind=kind,
        language=parcel.language,
        params=params,
        secrets=secrets,
        sealer=sealer,
        now=now,
    )


# Returns and housekeeping -----------------------------------------------------------------------


def collect_returns(
    *, db_session: Session, courier_token: str, site_id: str, now: datetime | None = None
) -> list[str]:
    """A courier takes the expired parcels out of a site: their compartments become free."""
    now = now or utc_now()
    try:
        authenticate_courier(db_session=db_session, token=courier_token)
        site = get_site(db_session=db_session, site_id=site_id)
    except LockerError:
        db_session.rollback()
        raise
    opened = []
    for parcel in _parcels(db_session, site.id, ParcelState.RETURN_TO_SENDER):
        compartment = held_compartment(db_session, parcel)
        if move_parcel(db_session, parcel, "remove_return", closed_at=now):
            if compartment is not None:
                move_compartment(db_session, compartment.id, "empty", parcel.id)
            opened.append(parcel.compartment_label or "")
    db_session.commit()
    return sorted(opened)


def _parcels(db_session: Session, site_id: str | None, state: ParcelState) -> list[LockerParcel]:
    query = select(LockerParcel).where(LockerParcel.state == state)
    if site_id is not None:
        query = query.where(LockerParcel.site_id == site_id)
    return list(db_session.scalars(query.order_by(LockerParcel.created_at)))


@dataclass(frozen=True)
class Housekeeping:
    reservations_expired: int
    reminders: int
    returned_to_sender: int
    messages: outbox.SendReport


def housekeeping(
    *,
    db_session: Session,
    policy: LockerPolicy,
    delivery: outbox.Delivery,
    now: datetime | None = None,
) -> Housekeeping:
    """The periodic job (every few minutes): idempotent, safe to run twice at once."""
    now = now or utc_now()
    expired = expire_reservations(db_session=db_session, now=now)
    reminded = send_reminders(db_session=db_session, policy=policy, now=now)
    returned = expire_uncollected(db_session=db_session, now=now)
    report = outbox.send_pending(db_session=db_session, delivery=delivery, now=now)
    return Housekeeping(expired, reminded, returned, report)


def expire_reservations(*, db_session: Session, now: datetime | None = None) -> int:
    """Unpaid reservations past reserved_until give their compartment back."""
    now = now or utc_now()
    count = 0
    for parcel in _parcels(db_session, None, ParcelState.RESERVED):
        if parcel.reserved_until is not None and parcel.reserved_until <= now:
            count += release_parcel(db_session, parcel, "expire_reservation", now)
    db_session.commit()
    return count


def send_reminders(
    *, db_session: Session, policy: LockerPolicy, now: datetime | None = None
) -> int:
    """One reminder per parcel, policy.reminder_before_expiry before its code expires."""
    now = now or utc_now()
    count = 0
    for parcel in _parcels(db_session, None, ParcelState.DEPOSITED):
        expires_at = parcel.code_expires_at or now
        due = expires_at - policy.reminder_before_expiry <= now < expires_at
        if due and _mark_reminded(db_session, parcel, now):
            site = get_site(db_session=db_session, site_id=parcel.site_id)
            reminder = {"site": site.name, "expires_at": expires_at}
            _tell(db_session, parcel, "pickup_reminder", reminder, now)
            count += 1
    db_session.commit()
    return count


def _mark_reminded(db_session: Session, parcel: LockerParcel, now: datetime) -> bool:
    """Conditional, so two housekeeping runs at once send one reminder."""
    marked = db_session.execute(
        update(LockerParcel)
        .where(LockerParcel.id == parcel.id, LockerParcel.reminder_sent_at.is_(None))
        .values(reminder_sent_at=now)
    )
    return bool(cast(CursorResult[Any], marked).rowcount)


def expire_uncollected(*, db_session: Session, now: datetime | None = None) -> int:
    """Parcels whose code expired go to return-to-sender (they stay in the locker until a
    courier collects them with collect_returns)."""
    now = now or utc_now()
    count = 0
    for parcel in _parcels(db_session, None, ParcelState.DEPOSITED):
        expired = parcel.code_expires_at is not None and parcel.code_expires_at <= now
        if expired and move_parcel(db_session, parcel, "expire"):
            site = get_site(db_session=db_session, site_id=parcel.site_id)
            _tell(db_session, parcel, "returned_to_sender", {"site": site.name}, now)
            count += 1
    db_session.commit()
    return count

"""Pickup use case: the code opens exactly its compartment at its site, once; every try audited.

Refusals commit their audit row (and any site lockout) before raising, so the limits hold even
though the request fails. Pickups at one site are serialised by a row lock on the site, and the
parcel moves with a conditional UPDATE: of two simultaneous submissions only one opens.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vitrine.db import utc_now
from vitrine.lockers import attempts
from vitrine.lockers.codes import parse_code, pickup_code_hash
from vitrine.lockers.errors import PickupProblem, PickupRefused, UnknownSite
from vitrine.lockers.models import LockerParcel, LockerSite, PickupAttempt
from vitrine.lockers.parcel_service import held_compartment, move_parcel
from vitrine.lockers.policy import LockerPolicy
from vitrine.lockers.site_service import move_compartment
from vitrine.lockers.states import ParcelState


@dataclass(frozen=True)
class Pickup:
    compartment: str
    parcel_id: str
    order_ref: str


def pickup(
    *,
    db_session: Session,
    site_id: str,
    code: str,
    client: str,
    policy: LockerPolicy,
    now: datetime | None = None,
) -> Pickup:
    """Open the compartment that `code` belongs to at this site, once; refuse anything else."""
    now = now or utc_now()
    site = db_session.scalar(
        select(LockerSite).where(LockerSite.id == site_id).with_for_update()
    )  # one pickup at a time per site: the attempt counts and the lockout stay exact
    if site is None:
        db_session.rollback()
        raise UnknownSite(f"no locker site {site_id}")
    try:
        opened = _open_with_code(db_session, site, code, client[:64], policy, now)
    except PickupRefused:
        db_session.commit()  # keep the audit row and the lockout
        raise
    db_session.commit()
    return opened


def _open_with_code(
    db_session: Session,
    site: LockerSite,
    code: str,
    client: str,
    policy: LockerPolicy,
    now: datetime,
) -> Pickup:
    digits = parse_code(code)
    if digits is None:
        _audit(db_session, site, client, "malformed", now)
        raise PickupRefused("malformed", "A pickup code has 10 digits.")
    refusal = _refusal(db_session, site, client, now)
    if refusal is not None:
        _audit(db_session, site, client, "refused", now)
        raise PickupRefused(
            "too_many_attempts",
            f"Too many attempts, try again in {refusal.minutes} minutes.",
            refusal.minutes,
        )
    parcel = db_session.scalar(
        select(LockerParcel).where(
            LockerParcel.site_id == site.id,
            LockerParcel.code_hash
            == pickup_code_hash(secret_key=policy.secret_key, site_id=site.id, code=digits),
        )
    )
    problem = _code_problem(parcel, now)
    if problem is None and parcel is not None:
        compartment = held_compartment(db_session, parcel)
        # Conditional on state = 'deposited': of two simultaneous pickups only one moves it.
        if compartment is not None and move_parcel(db_session, parcel, "collect", closed_at=now):
            move_compartment(db_session, compartment.id, "empty", parcel.id)
            _audit(db_session, site, client, "opened", now, parcel_id=parcel.id)
            return Pickup(compartment.label, parcel.id, parcel.order_ref)
        problem = "already_used"
    raise _failure(db_session, site, client, problem or "wrong_code", now, parcel)


PICKUP_MESSAGES: dict[PickupProblem, str] = {
    "wrong_code": "Wrong code: check the digits in your message.",
    "expired": "This code has expired: the parcel goes back to the sender.",
    "already_used": "This code was already used: the compartment was opened.",
}


def _code_problem(parcel: LockerParcel | None, now: datetime) -> PickupProblem | None:
    if parcel is None:
        return "wrong_code"
    if parcel.state == ParcelState.COLLECTED:
        return "already_used"
    if parcel.state != ParcelState.DEPOSITED:
        return "expired"
    expires_at = parcel.code_expires_at
    if expires_at is None or expires_at <= now:
        return "expired"
    return None


def _failure(
    db_session: Session,
    site: LockerSite,
    client: str,
    problem: PickupProblem,
    now: datetime,
    parcel: LockerParcel | None,
) -> PickupRefused:
    """Audit a failed code, lock the site if that was one failure too many; the error to raise."""
    parcel_id = parcel.id if parcel is not None else None
    _audit(db_session, site, client, problem, now, counts=True, parcel_id=parcel_id)
    failures = db_session.scalar(
        select(func.count())
        .select_from(PickupAttempt)
        .where(PickupAttempt.site_id == site.id, PickupAttempt.counts_as_failure)
        .where(PickupAttempt.created_at > now - attempts.SITE_WINDOW)
    )
    lockout = attempts.site_lockout(int(failures or 0))
    if lockout is not None:
        site.locked_until = now + lockout
    return PickupRefused(problem, PICKUP_MESSAGES[problem])


def _refusal(
    db_session: Session, site: LockerSite, client: str, now: datetime
) -> attempts.Refusal | None:
    refusal = attempts.site_refusal(site.locked_until, now)
    if refusal is not None:
        return refusal
    recent = db_session.scalars(
        select(PickupAttempt.created_at)
        .where(PickupAttempt.client == client, PickupAttempt.counts_as_failure)
        .where(PickupAttempt.created_at > now - attempts.CLIENT_WINDOW)
    )
    return attempts.client_refusal(list(recent), now)


def _audit(
    db_session: Session,
    site: LockerSite,
    client: str,
    outcome: str,
    now: datetime,
    *,
    counts: bool = False,
    parcel_id: str | None = None,
) -> None:
    db_session.add(
        PickupAttempt(
            site_id=site.id,
            client=client,
            outcome=outcome,
            counts_as_failure=counts,
            parcel_id=parcel_id,
            created_at=now,
        )
    )
    db_session.flush()

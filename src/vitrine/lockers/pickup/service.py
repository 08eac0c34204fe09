"""Pickup use cases: a QR token or a typed code opens exactly its compartment, once; all audited.

A QR token (pickup/tokens.py) opens at once: there is nothing to guess. A typed code goes in two
steps so that the caller can wait without holding a database connection: `book_typed_code`
books its check (per-client and per-site waits, attempts.py) and `check_typed_code` runs it
when its time comes. Pickups at one site are serialised by a row lock on the site, and the
parcel moves with a conditional UPDATE: of two simultaneous submissions only one opens.
Refusals commit their audit row before raising, so the limits hold though the request fails.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vitrine.db import utc_now
from vitrine.lockers import attempts
from vitrine.lockers.codes import parse_code, pickup_code_hash
from vitrine.lockers.errors import PickupProblem, PickupRefused, UnknownSite
from vitrine.lockers.models import LockerParcel, LockerSite, PickupAttempt
from vitrine.lockers.parcel_service import held_compartment, move_parcel
from vitrine.lockers.pickup.tokens import (
    looks_like_token,
    make_pickup_token,
    token_matches,
    token_parcel_id,
)
from vitrine.lockers.policy import LockerPolicy
from vitrine.lockers.site_service import move_compartment
from vitrine.lockers.states import ParcelState


@dataclass(frozen=True)
class Pickup:
    compartment: str
    parcel_id: str
    order_ref: str


@dataclass(frozen=True)
class BookedCheck:
    """A typed code's check, booked: run it with check_typed_code at `check_at`."""

    attempt_id: str
    site_id: str
    digits: str
    check_at: datetime


PICKUP_MESSAGES: dict[PickupProblem, str] = {
    "wrong_code": "Wrong code: check the digits in your message.",
    "expired": "This code has expired: the parcel goes back to the sender.",
    "already_used": "This code was already used: the compartment was opened.",
    "bad_token": "This QR code does not open anything here: type the code from your message.",
}


def pickup_token(*, secret_key: str, parcel: LockerParcel) -> str | None:
    """The QR token of a parcel waiting with a code (for the message and the order page)."""
    if parcel.code_hash is None:
        return None
    return make_pickup_token(
        secret_key=secret_key,
        site_id=parcel.site_id,
        parcel_id=parcel.id,
        code_hash=parcel.code_hash,
    )


def pickup_token_for_order(*, db_session: Session, order_ref: str, secret_key: str) -> str | None:
    """The QR token of the order's parcel while it waits in a locker, else None."""
    parcel = db_session.scalar(
        select(LockerParcel).where(
            LockerParcel.order_ref == order_ref, LockerParcel.state == ParcelState.DEPOSITED
        )
    )
    return None if parcel is None else pickup_token(secret_key=secret_key, parcel=parcel)


def _locked_site(db_session: Session, site_id: str) -> LockerSite:
    site = db_session.scalar(
        select(LockerSite).where(LockerSite.id == site_id).with_for_update()
    )  # one pickup at a time per site: the counts and the slots stay exact
    if site is None:
        db_session.rollback()
        raise UnknownSite(f"no locker site {site_id}")
    return site


def pickup_with_token(
    *,
    db_session: Session,
    site_id: str,
    token: str,
    client: str,
    policy: LockerPolicy,
    now: datetime | None = None,
) -> Pickup:
    """Open the compartment of a QR token at once; a bad token is audited, never counted."""
    now = now or utc_now()
    site = _locked_site(db_session, site_id)
    parcel_id = token_parcel_id(token)
    parcel = db_session.get(LockerParcel, parcel_id) if parcel_id else None
    genuine = (
        parcel is not None
        and parcel.site_id == site.id
        and parcel.code_hash is not None
        and token_matches(
            secret_key=policy.secret_key,
            site_id=site.id,
            parcel_id=parcel.id,
            code_hash=parcel.code_hash,
            token=token,
        )
    )
    attempt = _audit(db_session, site, client[:64], "pending", now)
    try:
        if not genuine or parcel is None:
            attempt.outcome = "bad_token"
            raise PickupRefused("bad_token", PICKUP_MESSAGES["bad_token"])
        opened = _open(db_session, parcel, attempt, now, outcome="opened_by_qr")
    except PickupRefused:
        db_session.commit()
        raise
    db_session.commit()
    return opened


def book_typed_code(
    *,
    db_session: Session,
    site_id: str,
    code: str,
    client: str,
    now: datetime | None = None,
) -> BookedCheck:
    """Book the check of a typed code (it counts as a failure until it opens), or refuse it."""
    now = now or utc_now()
    site = _locked_site(db_session, site_id)
    client = client[:64]
    digits = parse_code(code)
    if digits is None:
        _audit(db_session, site, client, "malformed", now)
        db_session.commit()
        raise PickupRefused("malformed", "A pickup code has 10 digits.")
    booked = attempts.book_check(
        client_failures=_client_failures(db_session, client, now),
        site_failures_in_window=_site_failures(db_session, site, now),
        site_next_check=site.locked_until,
        now=now,
    )
    if isinstance(booked, attempts.Refusal):
        _audit(db_session, site, client, "refused", now)
        db_session.commit()
        raise _too_many(booked)
    attempt = _audit(db_session, site, client, "pending", now, counts=True)
    site.locked_until = booked.site_next_check
    db_session.commit()
    return BookedCheck(attempt.id, site.id, digits, booked.check_at)


def _too_many(refusal: attempts.Refusal) -> PickupRefused:
    if refusal.scope == "site":
        message = (
            "This locker gets too many wrong codes: scan the QR code in your message, "
            f"or type your code again in {refusal.seconds} s."
        )
    else:
        message = f"Too many wrong codes from here: try again in {refusal.seconds} s."
    return PickupRefused("too_many_attempts", message, refusal.seconds)


def check_typed_code(
    *, db_session: Session, booked: BookedCheck, policy: LockerPolicy, now: datetime | None = None
) -> Pickup:
    """Run a booked check: open the code's compartment once, or record why not."""
    now = now or utc_now()
    site = _locked_site(db_session, booked.site_id)
    attempt = db_session.get(PickupAttempt, booked.attempt_id)
    if attempt is None or attempt.outcome != "pending" or attempt.site_id != site.id:
        raise ValueError("this check was not booked, or has run already")
    parcel = db_session.scalar(
        select(LockerParcel).where(
            LockerParcel.site_id == site.id,
            LockerParcel.code_hash
            == pickup_code_hash(secret_key=policy.secret_key, site_id=site.id, code=booked.digits),
        )
    )
    try:
        if parcel is None:
            attempt.outcome = "wrong_code"
            raise PickupRefused("wrong_code", PICKUP_MESSAGES["wrong_code"])
        opened = _open(db_session, parcel, attempt, now, outcome="opened")
    except PickupRefused:
        db_session.commit()
        raise
    db_session.commit()
    return opened


def pickup(
    *,
    db_session: Session,
    site_id: str,
    code: str,
    client: str,
    policy: LockerPolicy,
    now: datetime | None = None,
) -> Pickup:
    """A typed code (booked, waited for, checked) or a QR token, for callers that may block."""
    if looks_like_token(code):
        return pickup_with_token(
            db_session=db_session,
            site_id=site_id,
            token=code,
            client=client,
            policy=policy,
            now=now,
        )
    booked = book_typed_code(
        db_session=db_session, site_id=site_id, code=code, client=client, now=now
    )
    wait = booked.check_at - (now or utc_now())
    if now is None and wait > timedelta(0):
        time.sleep(wait.total_seconds())
    return check_typed_code(db_session=db_session, booked=booked, policy=policy, now=now)


def _code_problem(parcel: LockerParcel, now: datetime) -> PickupProblem | None:
    if parcel.state == ParcelState.COLLECTED:
        return "already_used"
    if parcel.state != ParcelState.DEPOSITED:
        return "expired"
    expires_at = parcel.code_expires_at
    if expires_at is None or expires_at <= now:
        return "expired"
    return None


def _open(
    db_session: Session,
    parcel: LockerParcel,
    attempt: PickupAttempt,
    now: datetime,
    *,
    outcome: str,
) -> Pickup:
    """Open the compartment (a conditional move: of two simultaneous pickups only one opens)."""
    attempt.parcel_id = parcel.id
    problem = _code_problem(parcel, now)
    if problem is None:
        compartment = held_compartment(db_session, parcel)
        if compartment is not None and move_parcel(db_session, parcel, "collect", closed_at=now):
            move_compartment(db_session, compartment.id, "empty", parcel.id)
            attempt.outcome, attempt.counts_as_failure = outcome, False
            return Pickup(compartment.label, parcel.id, parcel.order_ref)
        problem = "already_used"
    attempt.outcome = problem
    raise PickupRefused(problem, PICKUP_MESSAGES[problem])


def _client_failures(db_session: Session, client: str, now: datetime) -> list[datetime]:
    return list(
        db_session.scalars(
            select(PickupAttempt.created_at)
            .where(PickupAttempt.client == client, PickupAttempt.counts_as_failure)
            .where(PickupAttempt.created_at > now - attempts.CLIENT_WINDOW)
        )
    )


def _site_failures(db_session: Session, site: LockerSite, now: datetime) -> int:
    failures = db_session.scalar(
        select(func.count())
        .select_from(PickupAttempt)
        .where(PickupAttempt.site_id == site.id, PickupAttempt.counts_as_failure)
        .where(PickupAttempt.created_at > now - attempts.SITE_WINDOW)
    )
    return int(failures or 0)


def _audit(
    db_session: Session,
    site: LockerSite,
    client: str,
    outcome: str,
    now: datetime,
    *,
    counts: bool = False,
) -> PickupAttempt:
    attempt = PickupAttempt(
        site_id=site.id,
        client=client,
        outcome=outcome,
        counts_as_failure=counts,
        created_at=now,
    )
    db_session.add(attempt)
    db_session.flush()
    return attempt

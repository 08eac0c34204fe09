"""Shopper sign-in use cases: send a one-time code through the outbox, check it once."""

from __future__ import annotations

import hmac
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from vitrine.db import utc_now
from vitrine.notifications import service as outbox
from vitrine.notifications.sealing import Sealer
from vitrine.orders.contact import EMAIL
from vitrine.shoppers.codes import (
    CODE_MINUTES,
    MAX_FAILED_ATTEMPTS,
    code_hash,
    new_code,
    normalise_contact,
)
from vitrine.shoppers.models import ShopperSignInCode


class SignInRefused(ValueError):
    """The code is wrong, expired or used up (the message is for the shopper)."""


def send_code(
    *,
    db_session: Session,
    secret_key: str,
    email: str,
    language: str = "en",
    now: datetime | None = None,
) -> None:
    contact = normalise_contact(email)
    if not EMAIL.fullmatch(contact):
        raise SignInRefused("this is not an email address")
    now = now or utc_now()
    code = new_code()
    db_session.add(
        ShopperSignInCode(
            contact=contact,
            code_hash=code_hash(secret_key, contact, code),
            expires_at=now + timedelta(minutes=CODE_MINUTES),
        )
    )
    outbox.enqueue(
        db_session=db_session,
        recipient=contact,
        kind="sign_in_code",
        language=language,
        params={"minutes": CODE_MINUTES},
        secrets={"code": code},
        sealer=Sealer(secret_key),
    )
    db_session.flush()


def check_code(
    *, db_session: Session, secret_key: str, email: str, code: str, now: datetime | None = None
) -> str:
    """The signed-in contact, or SignInRefused; each code works once and dies after 5 misses."""
    contact, now = normalise_contact(email), now or utc_now()
    latest = db_session.scalar(
        select(ShopperSignInCode)
        .where(ShopperSignInCode.contact == contact, ShopperSignInCode.used_at.is_(None))
        .order_by(ShopperSignInCode.created_at.desc())
        .limit(1)
        .with_for_update()
    )
    if latest is None or latest.expires_at <= now or latest.failed_attempts >= MAX_FAILED_ATTEMPTS:
        raise SignInRefused("this code has expired: ask for a new one")
    if not hmac.compare_digest(latest.code_hash, code_hash(secret_key, contact, code.strip())):
        latest.failed_attempts += 1
        raise SignInRefused("this code is wrong")
    latest.used_at = now
    return contact

"""Operator account use cases: create an operator, check a login."""

from __future__ import annotations

import logging
import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vitrine.accounts.models import OperatorAccount
from vitrine.accounts.passwords import hash_password, verify_password

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+$")
MIN_PASSWORD_LENGTH = 10


audit = logging.getLogger("vitrine.audit")


class AccountError(ValueError):
    """An account request that cannot be carried out (the message says why)."""


class LoginRefused(ValueError):
    """Wrong email or password, or a locked account (the message is safe to show)."""


def create_operator(
    *, db_session: Session, email: str, password: str, role: str = "staff"
) -> OperatorAccount:
    email = email.strip().lower()
    if not EMAIL_PATTERN.fullmatch(email):
        raise AccountError(f"{email!r} is not an email address")
    if role not in ("admin", "staff"):
        raise AccountError(f"role must be admin or staff, not {role!r}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if find_operator(db_session=db_session, email=email) is not None:
        raise AccountError(f"an operator {email} exists already")
    account = OperatorAccount(email=email, password_hash=hash_password(password), role=role)
    db_session.add(account)
    db_session.flush()
    return account


def find_operator(*, db_session: Session, email: str) -> OperatorAccount | None:
    return db_session.scalar(
        select(OperatorAccount).where(OperatorAccount.email == email.strip().lower())
    )


def count_operators(*, db_session: Session) -> int:
    return int(db_session.scalar(select(func.count()).select_from(OperatorAccount)) or 0)


def check_password(*, db_session: Session, email: str, password: str) -> OperatorAccount | None:
    account = find_operator(db_session=db_session, email=email)
    if account is None or not verify_password(account.password_hash, password):
        return None
    return account


def get_operator(*, db_session: Session, account_id: str) -> OperatorAccount | None:
    return db_session.get(OperatorAccount, account_id)


def authenticate(*, db_session: Session, email: str, password: str, client: str) -> OperatorAccount:
    """Check a login (never locks: the web layer slows, see lockout.py); every attempt audited."""
    account = find_operator(db_session=db_session, email=email)
    if account is None:
        verify_password(_DUMMY_HASH, password)  # same time as a real check: no account probing
        audit.warning("login refused: unknown account %r from %s", email, client)
        raise LoginRefused("wrong email or password")
    if not verify_password(account.password_hash, password):
        account.failed_logins += 1
        audit.warning("login refused: wrong password for %s from %s", account.email, client)
        raise LoginRefused("wrong email or password")
    account.failed_logins = 0
    audit.info("login: %s from %s", account.email, client)
    return account


_DUMMY_HASH = hash_password("not-a-real-password-only-for-timing")

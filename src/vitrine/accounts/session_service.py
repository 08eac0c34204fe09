"""Operator sessions kept on the server: a sign-out, a password change or an admin ends them.

A session ends when it is signed out, when its account's password changes, when an admin signs
the account out everywhere, after `idle` without a request, or `max_age` after sign-in.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from vitrine.accounts.models import OperatorAccount, OperatorSessionRecord
from vitrine.accounts.passwords import hash_password, verify_password
from vitrine.accounts.service import MIN_PASSWORD_LENGTH, AccountError

TOUCH_EVERY = timedelta(minutes=1)  # last_seen_at is written at most this often


@dataclass(frozen=True)
class SessionRules:
    idle: timedelta
    max_age: timedelta


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(
    *, db_session: Session, account: OperatorAccount, client: str, user_agent: str, now: datetime
) -> str:
    """A new session for the account; the token for the cookie (256 random bits)."""
    token = secrets.token_urlsafe(32)
    db_session.add(
        OperatorSessionRecord(
            account_id=account.id,
            token_hash=_digest(token),
            client=client[:64],
            user_agent=user_agent[:200],
            last_seen_at=now,
            created_at=now,
        )
    )
    db_session.flush()
    return token


def live_session(
    *, db_session: Session, token: str, now: datetime, rules: SessionRules
) -> OperatorSessionRecord | None:
    """The session of a cookie token, if it has not ended (its last-seen time refreshed)."""
    record = db_session.scalar(
        select(OperatorSessionRecord).where(OperatorSessionRecord.token_hash == _digest(token))
    )
    if record is None or record.ended_at is not None:
        return None
    if now - record.last_seen_at > rules.idle or now - record.created_at > rules.max_age:
        record.ended_at, record.ended_because = now, "expired"
        db_session.commit()
        return None
    if now - record.last_seen_at > TOUCH_EVERY:
        record.last_seen_at = now
        db_session.commit()
    return record


def end_session(*, db_session: Session, token: str, now: datetime, because: str) -> None:
    db_session.execute(
        update(OperatorSessionRecord)
        .where(OperatorSessionRecord.token_hash == _digest(token))
        .where(OperatorSessionRecord.ended_at.is_(None))
        .values(ended_at=now, ended_because=because)
    )


def end_all_sessions(*, db_session: Session, account_id: str, now: datetime, because: str) -> int:
    """End every open session of the account; how many were open."""
    result = db_session.execute(
        update(OperatorSessionRecord)
        .where(OperatorSessionRecord.account_id == account_id)
        .where(OperatorSessionRecord.ended_at.is_(None))
        .values(ended_at=now, ended_because=because)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def open_sessions(
    *, db_session: Session, now: datetime, rules: SessionRules
) -> list[tuple[OperatorSessionRecord, str]]:
    """(session, account email) of every session still open, most recently seen first."""
    rows = db_session.execute(
        select(OperatorSessionRecord, OperatorAccount.email)
        .join(OperatorAccount, OperatorAccount.id == OperatorSessionRecord.account_id)
        .where(OperatorSessionRecord.ended_at.is_(None))
        .where(OperatorSessionRecord.last_seen_at > now - rules.idle)
        .where(OperatorSessionRecord.created_at > now - rules.max_age)
        .order_by(OperatorSessionRecord.last_seen_at.desc())
    )
    return [(record, email) for record, email in rows]


def change_password(
    *, db_session: Session, account: OperatorAccount, current: str, new: str, now: datetime
) -> None:
    """Set a new password after checking the current one; every session of the account ends."""
    if not verify_password(account.password_hash, current):
        raise AccountError("the current password is wrong")
    if len(new) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    account.password_hash = hash_password(new)
    end_all_sessions(db_session=db_session, account_id=account.id, now=now, because="password")

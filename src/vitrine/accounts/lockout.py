"""When repeated wrong passwords lock an operator account, and for how long (pure rules)."""

from __future__ import annotations

from datetime import datetime, timedelta

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)


def is_locked(locked_until: datetime | None, now: datetime) -> bool:
    return locked_until is not None and now < locked_until


def after_failure(failed_logins: int, now: datetime) -> tuple[int, datetime | None]:
    """The new failure count and lock time after one more wrong password."""
    failures = failed_logins + 1
    if failures >= MAX_FAILED_LOGINS:
        return 0, now + LOCKOUT
    return failures, None

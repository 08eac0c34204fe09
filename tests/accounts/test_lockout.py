"""Repeated wrong passwords lock an account for a while; a good login clears the count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from vitrine.accounts.lockout import LOCKOUT, MAX_FAILED_LOGINS, after_failure, is_locked
from vitrine.accounts.service import LoginRefused, authenticate, create_operator

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def test_the_fifth_failure_locks_for_fifteen_minutes() -> None:
    failures, locked_until = 0, None
    for _ in range(MAX_FAILED_LOGINS - 1):
        failures, locked_until = after_failure(failures, NOW)
        assert locked_until is None
    failures, locked_until = after_failure(failures, NOW)
    assert (failures, locked_until) == (0, NOW + LOCKOUT)
    assert is_locked(locked_until, NOW + timedelta(minutes=14))
    assert not is_locked(locked_until, NOW + timedelta(minutes=15))


def _login(db_session: Session, password: str, now: datetime = NOW) -> None:
    authenticate(
        db_session=db_session, email="ana@shop.fr", password=password, now=now, client="test"
    )


def test_authenticate_locks_then_unlocks(db_session: Session) -> None:
    create_operator(db_session=db_session, email="ana@shop.fr", password="right-password-1")
    for _ in range(MAX_FAILED_LOGINS):
        with pytest.raises(LoginRefused, match="wrong email or password"):
            _login(db_session, "wrong-password")
    with pytest.raises(LoginRefused, match="locked"):
        _login(db_session, "right-password-1")  # even the right password waits
    _login(db_session, "right-password-1", NOW + LOCKOUT)


def test_unknown_accounts_get_the_same_answer(db_session: Session) -> None:
    with pytest.raises(LoginRefused, match="wrong email or password"):
        authenticate(
            db_session=db_session, email="who@shop.fr", password="x", now=NOW, client="test"
        )

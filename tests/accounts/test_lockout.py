"""Sign-ins are slowed per (account, client), never locked: the right password always works."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from vitrine.accounts import lockout
from vitrine.accounts.service import LoginRefused, authenticate, create_operator


def test_the_wait_grows_after_the_free_attempts_and_stays_under_the_cap() -> None:
    waits = [lockout.wait_before_check(n) for n in range(lockout.PAIR.amount)]
    assert waits == [0, 0, 0, 1, 2, 4, 8]


def _login(db_session: Session, password: str) -> None:
    authenticate(db_session=db_session, email="ana@shop.fr", password=password, client="test")


def test_many_failures_never_lock_the_account(db_session: Session) -> None:
    account = create_operator(
        db_session=db_session, email="ana@shop.fr", password="right-password-1"
    )
    for _ in range(50):
        with pytest.raises(LoginRefused, match="wrong email or password"):
            _login(db_session, "wrong-password")
    assert account.failed_logins == 50
    _login(db_session, "right-password-1")
    assert account.failed_logins == 0


def test_unknown_accounts_get_the_same_answer(db_session: Session) -> None:
    with pytest.raises(LoginRefused, match="wrong email or password"):
        authenticate(db_session=db_session, email="who@shop.fr", password="x", client="test")

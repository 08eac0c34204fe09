"""The outbox: messages wait for the transaction, are sent once, and survive a failing sender."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from vitrine.notifications import service as outbox
from vitrine.notifications.models import OutboxMessage
from vitrine.notifications.senders import LogSender, MemorySender, Notification

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def _enqueue(db_session: Session, body: str = "hello", secret: bool = False) -> None:
    outbox.enqueue(
        db_session=db_session,
        channel="email",
        recipient="shopper@example.com",
        subject="Hi",
        body=body,
        secret=secret,
        now=NOW,
    )


def test_a_message_is_kept_only_if_its_transaction_commits(db_session: Session) -> None:
    _enqueue(db_session)
    db_session.rollback()
    assert outbox.pending_messages(db_session=db_session) == []
    _enqueue(db_session)
    db_session.commit()
    assert len(outbox.pending_messages(db_session=db_session)) == 1


def test_pending_messages_are_sent_once(db_session: Session) -> None:
    _enqueue(db_session, "one")
    _enqueue(db_session, "two", secret=True)
    db_session.commit()
    sender = MemorySender()
    assert outbox.send_pending(db_session=db_session, sender=sender, now=NOW) == 2
    assert outbox.send_pending(db_session=db_session, sender=sender, now=NOW) == 0
    assert sorted(n.body for n in sender.sent) == ["one", "two"]
    stored = {m.body for m in db_session.scalars(select(OutboxMessage))}
    assert stored == {"one", outbox.REDACTED}  # the secret is blanked once delivered


class FailingSender:
    def send(self, notification: Notification) -> None:
        raise ConnectionError("SMS gateway down")


def test_a_message_that_fails_stays_pending(db_session: Session) -> None:
    _enqueue(db_session)
    db_session.commit()
    assert outbox.send_pending(db_session=db_session, sender=FailingSender()) == 0
    assert len(outbox.pending_messages(db_session=db_session)) == 1
    assert outbox.send_pending(db_session=db_session, sender=MemorySender()) == 1


def test_the_log_sender_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO", logger="vitrine.notifications")
    LogSender().send(Notification("sms", "+33600000000", "Ready", "Code 123"))
    assert "sms to +33600000000: Ready" in caplog.text

"""The outbox: messages wait for their transaction, are sent once, are retried, then dead-lettered,
and are never marked sent without a sender."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from vitrine.notifications import service as outbox
from vitrine.notifications.models import OutboxMessage
from vitrine.notifications.sealing import Sealer
from vitrine.notifications.senders import MemorySender, Notification, NotificationSender

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
SEALER = Sealer("test-secret-key")
READY = {
    "site": "Les Halles",
    "address": "1 rue Rambuteau",
    "expires_at": NOW + timedelta(days=3),
    "moved_from": None,
    "path": "/orders/tok",
}


def _delivery(sender: NotificationSender | None) -> outbox.Delivery:
    senders = {"email": sender} if sender is not None else {}
    return outbox.Delivery(senders=senders, sealer=SEALER, public_url="https://shop.example/")


def _confirmation(db_session: Session, recipient: str = "shopper@example.com") -> None:
    outbox.enqueue(
        db_session=db_session,
        recipient=recipient,
        kind="order_confirmed",
        params={"lines": ["1 x Banana"], "path": "/orders/tok"},
        now=NOW,
    )


def _pickup_code(db_session: Session, code: str = "0123456789", language: str = "en") -> None:
    outbox.enqueue(
        db_session=db_session,
        recipient="shopper@example.com",
        kind="ready_for_pickup",
        language=language,
        params=READY,
        secrets={"code": f"{code[:3]} {code[3:6]} {code[6:]}", "qr": code},
        sealer=SEALER,
        now=NOW,
    )


def test_a_message_is_kept_only_if_its_transaction_commits(db_session: Session) -> None:
    _confirmation(db_session)
    db_session.rollback()
    assert outbox.pending_messages(db_session=db_session) == []
    _confirmation(db_session)
    db_session.commit()
    assert len(outbox.pending_messages(db_session=db_session)) == 1


def test_pending_messages_are_sent_once_with_absolute_links(db_session: Session) -> None:
    _confirmation(db_session)
    _pickup_code(db_session)
    db_session.commit()
    sender = MemorySender()
    assert outbox.send_pending(db_session=db_session, delivery=_delivery(sender), now=NOW).sent == 2
    assert outbox.send_pending(db_session=db_session, delivery=_delivery(sender), now=NOW).sent == 0
    assert len(sender.sent) == 2
    for sent in sender.sent:
        assert "https://shop.example/orders/tok" in sent.body
        assert "\\n" not in sent.body and "\\n" not in (sent.body_html or "")
        assert '<a href="https://shop.example/orders/tok">' in (sent.body_html or "")
    [pickup] = [sent for sent in sender.sent if sent.qr is not None]
    assert "Pickup code: 012 345 6789" in pickup.body and pickup.qr == "0123456789"


def test_the_secret_is_sealed_at_rest_and_masked_in_the_preview(db_session: Session) -> None:
    _pickup_code(db_session, "9876543210")
    db_session.commit()
    rows = repr(db_session.execute(text("SELECT * FROM outbox_messages")).all())
    assert "9876543210" not in rows and "987 654 3210" not in rows
    [message] = outbox.pending_messages(db_session=db_session)
    assert message.secret and message.sealed is not None
    assert "Pickup code: ••••••••••" in message.body
    other_key = outbox.Delivery(senders={}, sealer=Sealer("another-key"), public_url="")
    with pytest.raises(ValueError, match="cannot be opened"):
        outbox.notification_of(message, other_key)


def test_a_secret_without_a_sealer_is_refused(db_session: Session) -> None:
    with pytest.raises(ValueError, match="sealer"):
        outbox.enqueue(
            db_session=db_session,
            recipient="a@example.com",
            kind="sign_in_code",
            params={"minutes": 10},
            secrets={"code": "123456"},
        )


def test_without_a_sender_nothing_is_marked_sent(db_session: Session) -> None:
    _confirmation(db_session)
    _confirmation(db_session, recipient="+33612345678")  # an SMS: no SMS gateway either
    db_session.commit()
    report = outbox.send_pending(db_session=db_session, delivery=_delivery(None), now=NOW)
    assert (report.sent, report.held) == (0, 2)
    assert len(outbox.pending_messages(db_session=db_session)) == 2
    with_email = outbox.send_pending(
        db_session=db_session, delivery=_delivery(MemorySender()), now=NOW
    )
    assert (with_email.sent, with_email.held) == (1, 1)  # the SMS still waits
    states = {m.channel: outbox.state_of(m) for m in db_session.scalars(select(OutboxMessage))}
    assert states == {"email": "sent", "sms": "pending"}


class FailingSender:
    def __init__(self) -> None:
        self.tries = 0

    def send(self, notification: Notification) -> None:
        self.tries += 1
        raise ConnectionError("relay down")


def test_failures_are_retried_with_backoff_then_dead_until_an_operator_retries(
    db_session: Session,
) -> None:
    _confirmation(db_session)
    db_session.commit()
    failing = FailingSender()
    delivery = _delivery(failing)
    moments, now = [], NOW
    for _ in range(60):  # one run a minute for an hour
        report = outbox.send_pending(db_session=db_session, delivery=delivery, now=now)
        if report.failed or report.dead:
            moments.append(int((now - NOW).total_seconds() // 60))
        now += timedelta(minutes=1)
    assert moments == [0, 1, 3, 7, 15, 31]  # waits of 1, 2, 4, 8, 16 minutes, then dead
    [message] = db_session.scalars(select(OutboxMessage)).all()
    assert outbox.state_of(message) == "dead" and message.attempts == 6
    assert message.last_error == "ConnectionError: relay down"
    assert failing.tries == 6
    outbox.retry(db_session=db_session, message_id=message.id)
    sender = MemorySender()
    assert outbox.send_pending(db_session=db_session, delivery=_delivery(sender), now=now).sent == 1
    assert outbox.state_of(message) == "sent"
    with pytest.raises(LookupError):
        outbox.retry(db_session=db_session, message_id=message.id)  # sent: nothing to retry


@pytest.mark.parametrize(
    ("language", "subject", "code_line"),
    [
        ("en", "Your parcel is ready at Les Halles", "Pickup code: 012 345 6789"),
        ("fr", "Votre colis est prêt à Les Halles", "Code de retrait : 012 345 6789"),
        ("zh", "您的包裹已到 Les Halles", "取件码：012 345 6789"),
    ],
)
def test_messages_are_written_in_the_orders_language(
    db_session: Session, language: str, subject: str, code_line: str
) -> None:
    _pickup_code(db_session, language=language)
    db_session.commit()
    sender = MemorySender()
    outbox.send_pending(db_session=db_session, delivery=_delivery(sender), now=NOW)
    assert sender.sent[0].subject == subject
    assert code_line in sender.sent[0].body

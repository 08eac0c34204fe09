"""Outbox use cases: enqueue a message in the caller's transaction; send what is due.

A message is rendered when it is sent (its language, absolute links from the public URL, its
secrets unsealed only then). A channel without a sender keeps its messages pending: nothing is
ever marked sent into nowhere. A failed send is retried with a doubling delay; after
`max_attempts` the message is dead until an operator retries it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from vitrine.db import utc_now
from vitrine.notifications import messages
from vitrine.notifications.models import OutboxMessage
from vitrine.notifications.sealing import Sealer
from vitrine.notifications.senders import Notification, NotificationSender, SmtpSender
from vitrine.settings import Settings

log = logging.getLogger("vitrine.notifications")
MAX_BACKOFF = timedelta(hours=1)


def channel_for(recipient: str) -> str:
    """Phone numbers (+33...) get an SMS, anything else an email."""
    return "sms" if recipient.startswith("+") else "email"


@dataclass(frozen=True)
class Delivery:
    """How the outbox is sent: a sender per channel, the sealer, the public URL for links."""

    senders: Mapping[str, NotificationSender]
    sealer: Sealer
    public_url: str
    max_attempts: int = 6
    first_backoff: timedelta = field(default=timedelta(minutes=1))


@dataclass(frozen=True)
class SendReport:
    sent: int = 0
    failed: int = 0  # failed this run, will be retried
    dead: int = 0  # failed this run for the last time
    held: int = 0  # pending on a channel with no sender configured


def enqueue(
    *,
    db_session: Session,
    recipient: str,
    kind: str,
    language: str = "en",
    params: Mapping[str, object] | None = None,
    secrets: Mapping[str, str] | None = None,
    sealer: Sealer | None = None,
    now: datetime | None = None,
) -> OutboxMessage:
    """Add a message to the outbox; it is sent only if the caller's transaction commits.

    `secrets` (e.g. a pickup code) are stored sealed, never in plain text; the preview masks them.
    """
    params = dict(params or {})
    if secrets and sealer is None:
        raise ValueError("a message with secrets needs a sealer")
    # The QR payload is a secret too: the preview has no QR at all.
    masked = {name: None if name == "qr" else messages.MASK for name in secrets or {}}
    preview = messages.render(kind, language, params | masked, "")
    message = OutboxMessage(
        channel=channel_for(recipient),
        recipient=recipient,
        subject=preview.subject[:200],
        body=preview.text,
        kind=kind,
        language=language,
        params=json.dumps(params, default=_json_default),
        sealed=sealer.seal(json.dumps(dict(secrets))) if secrets and sealer else None,
        secret=bool(secrets),
        created_at=now or utc_now(),
    )
    db_session.add(message)
    return message


def _json_default(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__} in a message")


def notification_of(message: OutboxMessage, delivery: Delivery) -> Notification:
    """The message as it is sent: rendered in its language with its secrets unsealed."""
    if message.kind is None:  # written before messages were rendered at send time
        return Notification(
            message.channel, message.recipient, message.subject, message.body, message.body_html
        )
    params: dict[str, object] = json.loads(message.params or "{}")
    if message.sealed:
        params |= json.loads(delivery.sealer.open(message.sealed))
    rendered = messages.render(message.kind, message.language, params, delivery.public_url)
    return Notification(
        message.channel,
        message.recipient,
        rendered.subject,
        rendered.text,
        rendered.html,
        rendered.qr,
    )


def send_pending(
    *, db_session: Session, delivery: Delivery, limit: int = 500, now: datetime | None = None
) -> SendReport:
    """Send the messages that are due, oldest first, committing each.

    Rows are locked with SKIP LOCKED (on PostgreSQL) so two runs never send one message twice.
    """
    now = now or utc_now()
    due = (
        select(OutboxMessage.id)
        .where(OutboxMessage.sent_at.is_(None), OutboxMessage.dead_at.is_(None))
        .where(OutboxMessage.channel.in_(list(delivery.senders)))
        .where(or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now))
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
        .limit(limit)
    )
    counts = {"sent": 0, "failed": 0, "dead": 0}
    for message_id in list(db_session.scalars(due)):
        outcome = _send_one(db_session, delivery, message_id, now)
        if outcome:
            counts[outcome] += 1
    held = db_session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.sent_at.is_(None), OutboxMessage.dead_at.is_(None))
        .where(OutboxMessage.channel.not_in(list(delivery.senders)))
    )
    db_session.commit()
    return SendReport(held=int(held or 0), **counts)


def _send_one(db_session: Session, delivery: Delivery, message_id: str, now: datetime) -> str:
    locked = select(OutboxMessage).where(
        OutboxMessage.id == message_id,
        OutboxMessage.sent_at.is_(None),
        OutboxMessage.dead_at.is_(None),
    )
    message = db_session.scalar(locked.with_for_update(skip_locked=True))
    if message is None:  # sent meanwhile by another run
        db_session.rollback()
        return ""
    try:
        delivery.senders[message.channel].send(notification_of(message, delivery))
    except Exception as error:  # any sender failure is recorded and retried, never lost
        outcome = _record_failure(message, delivery, error, now)
        db_session.commit()
        return outcome
    message.sent_at, message.sealed, message.last_error = now, None, None
    message.attempts += 1
    db_session.commit()
    return "sent"


def _record_failure(
    message: OutboxMessage, delivery: Delivery, error: Exception, now: datetime
) -> str:
    message.attempts += 1
    message.last_error = f"{type(error).__name__}: {error}"[:1000]
    if message.attempts >= delivery.max_attempts:
        message.dead_at = now
        log.error("outbox message %s failed %d times: dead", message.id, message.attempts)
        return "dead"
    delay = min(delivery.first_backoff * 2 ** (message.attempts - 1), MAX_BACKOFF)
    message.next_attempt_at = now + delay
    log.warning("outbox message %s failed (%s); retry at %s", message.id, error, now + delay)
    return "failed"


def retry(*, db_session: Session, message_id: str) -> OutboxMessage:
    """An operator sends a dead (or waiting) message again at the next run."""
    message = db_session.get(OutboxMessage, message_id)
    if message is None or message.sent_at is not None:
        raise LookupError("no unsent message with this id")
    message.dead_at, message.next_attempt_at, message.attempts = None, None, 0
    db_session.commit()
    return message


def state_of(message: OutboxMessage) -> str:
    """sent, dead, retrying (failed, waiting for its next try) or pending."""
    if message.sent_at is not None:
        return "sent"
    if message.dead_at is not None:
        return "dead"
    return "retrying" if message.attempts else "pending"


def recent_messages(*, db_session: Session, limit: int = 200) -> list[OutboxMessage]:
    """The operator's outbox: every unsent message, then the latest sent ones."""
    unsent = select(OutboxMessage).where(OutboxMessage.sent_at.is_(None))
    sent = select(OutboxMessage).where(OutboxMessage.sent_at.is_not(None))
    newest = (OutboxMessage.created_at.desc(), OutboxMessage.id)
    return [
        *db_session.scalars(unsent.order_by(*newest)),
        *db_session.scalars(sent.order_by(*newest).limit(limit)),
    ]


def pending_messages(*, db_session: Session, recipient: str | None = None) -> list[OutboxMessage]:
    query = select(OutboxMessage).where(OutboxMessage.sent_at.is_(None))
    if recipient is not None:
        query = query.where(OutboxMessage.recipient == recipient)
    return list(db_session.scalars(query.order_by(OutboxMessage.created_at, OutboxMessage.id)))


def messages_for(
    *, db_session: Session, recipient: str, since: datetime | None = None
) -> list[OutboxMessage]:
    """Every message to `recipient` (sent or not), oldest first: what the order page shows."""
    query = select(OutboxMessage).where(OutboxMessage.recipient == recipient)
    if since is not None:
        query = query.where(OutboxMessage.created_at >= since)
    return list(db_session.scalars(query.order_by(OutboxMessage.created_at)))


def outbox_backlog(*, db_session: Session) -> int:
    """Messages waiting to be sent, dead letters apart (for the server's metrics)."""
    waiting = (
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.sent_at.is_(None), OutboxMessage.dead_at.is_(None))
    )
    return int(db_session.scalar(waiting) or 0)


def delivery_from_settings(settings: Settings) -> Delivery:
    """The installation's senders (email when VITRINE_SMTP_HOST is set; no SMS gateway yet)."""
    senders: dict[str, NotificationSender] = {}
    if settings.smtp_host:
        senders["email"] = SmtpSender(
            host=settings.smtp_host,
            port=settings.smtp_port,
            from_address=settings.smtp_from,
            security=settings.smtp_security,
            username=settings.smtp_username,
            password=settings.smtp_password,
            ca_file=str(settings.smtp_ca_file or ""),
        )
    public_url = settings.public_url or f"http://{settings.host}:{settings.port}"
    return Delivery(senders=senders, sealer=Sealer(settings.secret_key), public_url=public_url)


def send_outbox(
    *, db_session: Session, settings: Settings, now: datetime | None = None
) -> SendReport:
    """What a housekeeping command runs: send what is due with the configured senders."""
    report = send_pending(db_session=db_session, delivery=delivery_from_settings(settings), now=now)
    warn_without_sender(report)
    return report


def warn_without_sender(report: SendReport) -> None:
    if report.held:
        log.warning(
            "%d messages wait in the outbox: no sender is configured for their channel "
            "(set VITRINE_SMTP_HOST for email); they are shown at /operator/outbox",
            report.held,
        )

"""Outbox use cases: enqueue a message in the caller's transaction; send what is pending."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vitrine.db import utc_now
from vitrine.notifications.models import OutboxMessage
from vitrine.notifications.senders import Notification, NotificationSender

log = logging.getLogger("vitrine.notifications")
REDACTED = "(sent; this message held a secret and was blanked after sending)"


def enqueue(
    *,
    db_session: Session,
    channel: str,
    recipient: str,
    subject: str,
    body: str,
    body_html: str | None = None,
    secret: bool = False,
    now: datetime | None = None,
) -> OutboxMessage:
    """Add a message to the outbox; it is sent only if the caller's transaction commits."""
    message = OutboxMessage(
        channel=channel,
        recipient=recipient,
        subject=subject,
        body=body,
        body_html=body_html,
        secret=secret,
        created_at=now or utc_now(),
    )
    db_session.add(message)
    return message


def pending_messages(*, db_session: Session, recipient: str | None = None) -> list[OutboxMessage]:
    query = select(OutboxMessage).where(OutboxMessage.sent_at.is_(None))
    if recipient is not None:
        query = query.where(OutboxMessage.recipient == recipient)
    return list(db_session.scalars(query.order_by(OutboxMessage.created_at, OutboxMessage.id)))


def send_pending(
    *,
    db_session: Session,
    sender: NotificationSender,
    limit: int = 500,
    now: datetime | None = None,
) -> int:
    """Send unsent messages oldest first, committing each; returns how many were sent.

    A message whose sender raises stays pending for the next run. Rows are locked with SKIP
    LOCKED (on PostgreSQL) so two housekeeping runs never send the same message twice.
    """
    query = (
        select(OutboxMessage.id)
        .where(OutboxMessage.sent_at.is_(None))
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
        .limit(limit)
    )
    sent = 0
    for message_id in list(db_session.scalars(query)):
        sent += _send_one(db_session=db_session, sender=sender, message_id=message_id, now=now)
    return sent


def _send_one(
    *, db_session: Session, sender: NotificationSender, message_id: str, now: datetime | None
) -> int:
    locked = select(OutboxMessage).where(
        OutboxMessage.id == message_id, OutboxMessage.sent_at.is_(None)
    )
    message = db_session.scalar(locked.with_for_update(skip_locked=True))
    if message is None:  # sent meanwhile by another run
        db_session.rollback()
        return 0
    try:
        sender.send(_notification(message))
    except Exception:
        log.exception("could not send outbox message %s; it stays pending", message.id)
        db_session.rollback()
        return 0
    message.sent_at = now or utc_now()
    if message.secret:
        message.body, message.body_html = REDACTED, None
    db_session.commit()
    return 1


def _notification(message: OutboxMessage) -> Notification:
    return Notification(
        channel=message.channel,
        recipient=message.recipient,
        subject=message.subject,
        body=message.body,
        body_html=message.body_html,
    )


def messages_for(
    *, db_session: Session, recipient: str, since: datetime | None = None
) -> list[OutboxMessage]:
    """Every message to `recipient` (sent or not), oldest first: what the demo shows a shopper."""
    query = select(OutboxMessage).where(OutboxMessage.recipient == recipient)
    if since is not None:
        query = query.where(OutboxMessage.created_at >= since)
    return list(db_session.scalars(query.order_by(OutboxMessage.created_at)))


def outbox_backlog(*, db_session: Session) -> int:
    """Messages waiting to be sent (for the server's metrics)."""
    waiting = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.sent_at.is_(None))
    return int(db_session.scalar(waiting) or 0)

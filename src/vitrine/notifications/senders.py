"""Ways to deliver a message: the NotificationSender interface and the logging default."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger("vitrine.notifications")


@dataclass(frozen=True)
class Notification:
    channel: str
    recipient: str
    subject: str
    body: str
    body_html: str | None = None


class NotificationSender(Protocol):
    def send(self, notification: Notification) -> None:
        """Deliver it or raise; a message that raised stays in the outbox for the next run."""


class LogSender:
    """Writes each message to the log: the default until an SMS or email gateway is configured."""

    def send(self, notification: Notification) -> None:
        log.info(
            "%s to %s: %s\n%s",
            notification.channel,
            notification.recipient,
            notification.subject,
            notification.body,
        )


class MemorySender:
    """Keeps what it was asked to send (tests, demos)."""

    def __init__(self) -> None:
        self.sent: list[Notification] = []

    def send(self, notification: Notification) -> None:
        self.sent.append(notification)

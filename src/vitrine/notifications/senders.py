"""Ways to deliver a message: the NotificationSender interface, SMTP email, and a memory sender.

There is no "log it and call it sent" sender: a channel without a configured sender keeps its
messages in the outbox (shown to operators and on the shopper's order page) until one is set.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from typing import Literal, Protocol

from vitrine.notifications.email import build_email

SmtpSecurity = Literal["starttls", "tls", "none"]


@dataclass(frozen=True)
class Notification:
    channel: str
    recipient: str
    subject: str
    body: str
    body_html: str | None = None
    qr: str | None = None  # shown inline as a QR image where the channel can (email)


class NotificationSender(Protocol):
    def send(self, notification: Notification) -> None:
        """Deliver it or raise; a message that raised is retried later, then dead-lettered."""


class SendFailed(RuntimeError):
    """The sender could not deliver (the message says why, for the operator's outbox)."""


@dataclass(frozen=True)
class SmtpSender:
    """Email through an SMTP relay: STARTTLS (587), implicit TLS (465) or plain (tests, LAN)."""

    host: str
    port: int
    from_address: str
    security: SmtpSecurity = "starttls"
    username: str = ""
    password: str = ""
    ca_file: str = ""  # a private CA to trust (the system's CAs otherwise)
    timeout: float = 20.0

    def send(self, notification: Notification) -> None:
        email = build_email(notification, self.from_address)
        try:
            with self._connect() as smtp:
                if self.username:
                    smtp.login(self.username, self.password)
                smtp.send_message(email)
        except (OSError, smtplib.SMTPException) as error:
            raise SendFailed(f"SMTP {self.host}:{self.port}: {error}") from error

    def _connect(self) -> smtplib.SMTP:
        context = ssl.create_default_context(cafile=self.ca_file or None)
        if self.security == "tls":
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        if self.security == "starttls":
            smtp.starttls(context=context)
        return smtp


class MemorySender:
    """Keeps what it was asked to send (tests)."""

    def __init__(self) -> None:
        self.sent: list[Notification] = []

    def send(self, notification: Notification) -> None:
        self.sent.append(notification)

"""`vitrine notifications ...`: check that the shop's messages can leave the machine."""

from __future__ import annotations

from typing import Annotated

import typer

from vitrine.cli import current_settings, fail, notifications_app, out


@notifications_app.command("test")
def notifications_test(
    email: Annotated[str, typer.Argument(help="Where to send the test email.")],
    language: Annotated[str, typer.Option(help="Language of the test message.")] = "en",
) -> None:
    """Send a test email now through the configured SMTP server (VITRINE_SMTP_*)."""
    from vitrine.notifications import messages
    from vitrine.notifications.senders import Notification, SendFailed
    from vitrine.notifications.service import delivery_from_settings
    from vitrine.orders.contact import EMAIL

    if not EMAIL.fullmatch(email.strip()):
        fail(f"{email!r} is not an email address", code=2)
    sender = delivery_from_settings(current_settings()).senders.get("email")
    if sender is None:
        fail("no email sender is configured: set VITRINE_SMTP_HOST and VITRINE_SMTP_FROM")
    message = messages.sending_test(language)
    try:
        sender.send(
            Notification("email", email.strip(), message.subject, message.text, message.html)
        )
    except SendFailed as error:
        fail(str(error))
    out.print(f"test email sent to {email.strip()}")

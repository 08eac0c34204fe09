"""What the shopper is told about their locker parcel: the texts of the notifications."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from vitrine.lockers.codes import format_code


@dataclass(frozen=True)
class Notice:
    subject: str
    body: str


def channel_for(recipient: str) -> str:
    """Phone numbers (+33...) get an SMS, anything else an email."""
    return "sms" if recipient.startswith("+") else "email"


def _when(moment: datetime) -> str:
    return moment.strftime("%d %b %Y %H:%M UTC")


def ready_for_pickup(
    *, site_name: str, address: str, code: str, expires_at: datetime, moved_from: str | None
) -> Notice:
    moved = f"{moved_from} was full, so your parcel went to {site_name}.\n" if moved_from else ""
    body = (
        f"{moved}Your parcel is ready at the {site_name} locker ({address}).\n"
        f"Pickup code: {format_code(code)}\n"
        f"Type it on the locker screen or show the QR code. It works once, until "
        f"{_when(expires_at)}; after that the parcel goes back to the sender."
    )
    return Notice(subject=f"Your parcel is ready at {site_name}", body=body)


def moved_to_other_site(*, from_site: str, to_site: str, address: str, km: float) -> Notice:
    body = (
        f"The {from_site} locker is full, so your parcel is being delivered to the {to_site} "
        f"locker instead ({address}, {km:.1f} km away). We will send your pickup code when it "
        f"is there."
    )
    return Notice(subject=f"Your parcel goes to {to_site}", body=body)


def pickup_reminder(*, site_name: str, expires_at: datetime) -> Notice:
    body = (
        f"Your parcel is still waiting at the {site_name} locker. Pick it up before "
        f"{_when(expires_at)} with the code we sent you; after that it goes back to the sender."
    )
    return Notice(subject=f"Reminder: your parcel at {site_name}", body=body)


def returned_to_sender(*, site_name: str) -> Notice:
    body = (
        f"Your parcel was not picked up in time at the {site_name} locker and goes back to the "
        f"sender. Its pickup code no longer works."
    )
    return Notice(subject="Your parcel goes back to the sender", body=body)

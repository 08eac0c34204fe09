"""Locker fixtures: a policy, sites laid out in Paris, a courier, and paid orders."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from vitrine.lockers import parcel_service as parcels
from vitrine.lockers import site_service as sites
from vitrine.lockers.models import LockerCompartment, LockerParcel, LockerSite
from vitrine.lockers.policy import LockerPolicy
from vitrine.notifications import service as outbox
from vitrine.notifications.sealing import Sealer
from vitrine.notifications.senders import MemorySender

# For tests whose outcome cannot depend on the backend (validation, messages): one database.
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
SECRET = "test-secret-key"


@pytest.fixture
def policy() -> LockerPolicy:
    return LockerPolicy(secret_key=SECRET)


def make_site(
    db_session: Session,
    name: str = "Les Halles",
    compartments: dict[str, int] | None = None,
    latitude: float = 48.8625,
    longitude: float = 2.3470,
) -> LockerSite:
    return sites.create_site(
        db_session=db_session,
        name=name,
        address=f"1 rue {name}, Paris",
        latitude=latitude,
        longitude=longitude,
        compartments=compartments if compartments is not None else {"S": 2, "M": 2, "L": 1},
    )


@dataclass
class Lockers:
    """A site, a courier token and helpers that bring a parcel to a given state."""

    db_session: Session
    policy: LockerPolicy
    site: LockerSite
    courier_token: str

    def reserve(
        self, order_ref: str, size: str = "S", site: LockerSite | None = None
    ) -> LockerParcel:
        return parcels.reserve_compartment(
            db_session=self.db_session,
            site_id=(site or self.site).id,
            size=size,
            order_ref=order_ref,
            recipient=f"{order_ref}@example.com",
            policy=self.policy,
            now=NOW,
        )

    def paid(self, order_ref: str, size: str = "S", site: LockerSite | None = None) -> LockerParcel:
        self.reserve(order_ref, size, site)
        return parcels.confirm_reservation(db_session=self.db_session, order_ref=order_ref)


@pytest.fixture
def lockers(db_session: Session, policy: LockerPolicy) -> Lockers:
    site = make_site(db_session)
    _, token = parcels.create_courier(db_session=db_session, name="Rapide Express")
    return Lockers(db_session, policy, site, token)


def compartment_states(db_session: Session, site: LockerSite) -> dict[str, str]:
    """{label: state} of a site's compartments, read fresh from the database."""
    db_session.expire_all()
    rows = db_session.execute(
        select(LockerCompartment.label, LockerCompartment.state)
        .where(LockerCompartment.site_id == site.id)
        .order_by(LockerCompartment.label)
    )
    return {label: state for label, state in rows}


def code_sent_to(db_session: Session, recipient: str, secret_key: str = SECRET) -> str:
    """The pickup code in the last message to `recipient` still in the outbox, as sent."""
    messages = outbox.pending_messages(db_session=db_session, recipient=recipient)
    delivery = outbox.Delivery(senders={}, sealer=Sealer(secret_key), public_url="http://shop")
    texts = [outbox.notification_of(message, delivery).body for message in messages]
    found = [re.search(r"Pickup code: ([\d ]+)", text) for text in texts]
    codes = [match.group(1).replace(" ", "") for match in found if match]
    assert codes, f"no pickup code was sent to {recipient}"
    return codes[-1]


def memory_delivery(sender: MemorySender, secret_key: str = SECRET) -> outbox.Delivery:
    """The outbox sent by email and SMS into `sender`, sealed with the tests' secret key."""
    senders = {"email": sender, "sms": sender}
    return outbox.Delivery(senders=senders, sealer=Sealer(secret_key), public_url="http://shop")

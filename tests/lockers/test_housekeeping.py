"""Housekeeping: a reminder, expiry to return-to-sender, returns taken out, outbox sent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text

from tests.lockers.conftest import NOW, Lockers, compartment_states, memory_delivery
from tests.lockers.test_pickup import deposited, refusal
from vitrine.lockers import flows
from vitrine.lockers import parcel_service as parcels
from vitrine.lockers.errors import CourierRefused
from vitrine.lockers.models import LockerParcel
from vitrine.lockers.pickup.tokens import TOKEN_PREFIX
from vitrine.notifications import service as outbox
from vitrine.notifications.models import OutboxMessage
from vitrine.notifications.senders import MemorySender


def test_one_reminder_a_day_before_expiry_then_return_to_sender(lockers: Lockers) -> None:
    db, policy = lockers.db_session, lockers.policy
    deposited(lockers, "order-1")
    sender = MemorySender()
    delivery = memory_delivery(sender)

    def run(after: timedelta) -> flows.Housekeeping:
        return flows.housekeeping(db_session=db, policy=policy, delivery=delivery, now=NOW + after)

    assert run(timedelta(days=1)).reminders == 0
    assert run(timedelta(days=2, hours=1)).reminders == 1
    assert run(timedelta(days=2, hours=2)).reminders == 0
    assert [n.subject for n in sender.sent] == [
        "Your parcel is ready at Les Halles",
        "Reminder: your parcel at Les Halles",
    ]
    report = run(timedelta(days=3))
    assert (report.returned_to_sender, report.messages.sent) == (1, 1)
    assert sender.sent[-1].subject == "Your parcel goes back to the sender"
    status = parcels.parcel_status(db_session=db, order_ref="order-1")
    assert (status.state, status.message) == (
        "return_to_sender",
        "Not picked up in time: returned to sender.",
    )
    assert compartment_states(db, lockers.site)["A01"] == "occupied"  # until a courier comes


def test_an_expired_parcel_code_no_longer_opens(lockers: Lockers) -> None:
    code = deposited(lockers, "order-1")
    flows.expire_uncollected(db_session=lockers.db_session, now=NOW + timedelta(days=4))
    assert refusal(lockers, code).problem == "expired"


def test_a_courier_takes_the_returns_out_and_frees_their_compartments(lockers: Lockers) -> None:
    db = lockers.db_session
    deposited(lockers, "order-1")
    deposited(lockers, "order-2")
    flows.expire_uncollected(db_session=db, now=NOW + timedelta(days=3))
    with pytest.raises(CourierRefused):
        flows.collect_returns(db_session=db, courier_token="bad", site_id=lockers.site.id)
    opened = flows.collect_returns(
        db_session=db, courier_token=lockers.courier_token, site_id=lockers.site.id
    )
    assert opened == ["A01", "A02"]
    assert set(compartment_states(db, lockers.site).values()) == {"free"}
    assert parcels.parcel_status(db_session=db, order_ref="order-1").state == "returned"
    again = flows.collect_returns(
        db_session=db, courier_token=lockers.courier_token, site_id=lockers.site.id
    )
    assert again == []


def test_the_pickup_code_is_sealed_at_rest_and_dropped_once_sent(lockers: Lockers) -> None:
    code = deposited(lockers, "order-1")
    db = lockers.db_session
    stored = [list(row) for row in db.execute(select(OutboxMessage)).all()]
    parcels_rows = [list(row) for row in db.execute(select(LockerParcel)).all()]
    assert code not in repr(stored) and code not in repr(parcels_rows)
    raw = db.execute(text("SELECT * FROM outbox_messages")).all()
    raw_parcels = db.execute(text("SELECT * FROM locker_parcels")).all()
    assert code not in repr(raw) and code[:3] + " " + code[3:6] not in repr(raw)
    assert code not in repr(raw_parcels)
    sender = MemorySender()
    assert outbox.send_pending(db_session=db, delivery=memory_delivery(sender)).sent == 1
    assert f"Pickup code: {code[:3]} {code[3:6]} {code[6:]}" in sender.sent[0].body
    token = sender.sent[0].qr
    assert token is not None and token.startswith(TOKEN_PREFIX) and token not in repr(raw)
    assert sender.sent[0].body_html is not None
    db.expire_all()
    assert outbox.pending_messages(db_session=db) == []
    assert db.scalars(select(OutboxMessage.sealed)).all() == [None]

"""Checkout reservations: a compartment is held for an order until it is paid or the hold ends."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from tests.lockers.conftest import NOW, Lockers, compartment_states, make_site, sqlite_only
from vitrine.lockers import flows
from vitrine.lockers import parcel_service as parcels
from vitrine.lockers import site_service as sites
from vitrine.lockers.errors import NoRoom, UnknownParcel, UnknownSite, WrongState
from vitrine.lockers.policy import LockerPolicy
from vitrine.lockers.sizes import UnknownSize


def test_a_reservation_holds_the_smallest_free_compartment_of_the_size(lockers: Lockers) -> None:
    parcel = lockers.reserve("order-1", size="M")
    assert (parcel.state, parcel.compartment_label) == ("reserved", "A03")
    assert parcel.reserved_until == NOW + timedelta(minutes=30)
    states = compartment_states(lockers.db_session, lockers.site)
    assert states == {"A01": "free", "A02": "free", "A03": "reserved", "A04": "free", "A05": "free"}


def test_when_a_size_is_taken_the_next_larger_one_is_held(lockers: Lockers) -> None:
    lockers.reserve("order-1", size="M")
    lockers.reserve("order-2", size="M")
    assert lockers.reserve("order-3", size="M").compartment_label == "A05"  # the L one
    with pytest.raises(NoRoom, match="Les Halles locker has no free compartment for size M"):
        lockers.reserve("order-4", size="M")
    assert parcels.active_parcel(db_session=lockers.db_session, order_ref="order-4") is None


@sqlite_only
def test_one_order_holds_one_reservation(lockers: Lockers) -> None:
    lockers.reserve("order-1")
    with pytest.raises(WrongState, match="already has a locker reservation"):
        lockers.reserve("order-1")


@sqlite_only
def test_bad_reservation_requests_are_named(lockers: Lockers) -> None:
    with pytest.raises(UnknownSize, match="unknown compartment size 'XL'"):
        lockers.reserve("order-1", size="XL")
    with pytest.raises(UnknownSite):
        parcels.reserve_compartment(
            db_session=lockers.db_session,
            site_id="nope",
            size="S",
            order_ref="order-1",
            recipient="a@example.com",
            policy=lockers.policy,
        )


def test_an_unpaid_reservation_expires_and_frees_its_compartment(lockers: Lockers) -> None:
    lockers.reserve("unpaid")
    lockers.paid("paid")
    db = lockers.db_session
    assert flows.expire_reservations(db_session=db, now=NOW + timedelta(minutes=29)) == 0
    assert flows.expire_reservations(db_session=db, now=NOW + timedelta(minutes=31)) == 1
    assert parcels.parcel_status(db_session=db, order_ref="unpaid").state == "cancelled"
    assert parcels.parcel_status(db_session=db, order_ref="paid").state == "awaiting_delivery"
    assert list(compartment_states(db, lockers.site).values()).count("reserved") == 1


def test_a_cancelled_reservation_frees_its_compartment(lockers: Lockers) -> None:
    lockers.paid("order-1")
    parcel = parcels.cancel_reservation(db_session=lockers.db_session, order_ref="order-1")
    assert parcel.state == "cancelled"
    assert set(compartment_states(lockers.db_session, lockers.site).values()) == {"free"}
    with pytest.raises(UnknownParcel):
        parcels.cancel_reservation(db_session=lockers.db_session, order_ref="order-1")
    with pytest.raises(UnknownParcel):
        parcels.confirm_reservation(db_session=lockers.db_session, order_ref="nope")


@sqlite_only
def test_the_order_page_reads_the_parcel_status(lockers: Lockers) -> None:
    lockers.reserve("order-1")
    status = parcels.parcel_status(db_session=lockers.db_session, order_ref="order-1")
    assert (status.state, status.site_name) == ("reserved", "Les Halles")
    assert status.message == "A compartment is held at Les Halles until payment."
    with pytest.raises(UnknownParcel):
        parcels.parcel_status(db_session=lockers.db_session, order_ref="nope")


def test_nearest_sites_come_with_their_free_compartments(
    db_session: Session, policy: LockerPolicy
) -> None:
    far = make_site(db_session, "Bastille", {"S": 1}, latitude=48.8532, longitude=2.3692)
    near = make_site(db_session, "Louvre", {"S": 1, "L": 2}, latitude=48.8606, longitude=2.3376)
    found = sites.nearest_sites(db_session=db_session, latitude=48.8610, longitude=2.3380)
    assert [item.site.name for item in found] == ["Louvre", "Bastille"]
    assert found[0].free == {"S": 1, "L": 2}
    assert found[0].km < 0.1 and 2 < found[1].km < 3
    assert far.id != near.id


def test_a_compartment_goes_out_of_service_only_when_free(lockers: Lockers) -> None:
    db = lockers.db_session
    parcel = lockers.reserve("order-1")
    ids = {c.label: c.id for c in sites.compartments(db_session=db, site_id=lockers.site.id)}
    with pytest.raises(WrongState, match="cannot take out of service"):
        sites.set_compartment_in_service(
            db_session=db, compartment_id=ids[parcel.compartment_label or ""], in_service=False
        )
    sites.set_compartment_in_service(db_session=db, compartment_id=ids["A02"], in_service=False)
    assert compartment_states(db, lockers.site)["A02"] == "out_of_service"
    assert lockers.reserve("order-2", size="S").compartment_label == "A03"  # an M: S are gone
    sites.set_compartment_in_service(db_session=db, compartment_id=ids["A02"], in_service=True)
    assert compartment_states(db, lockers.site)["A02"] == "free"


def test_confirming_twice_is_harmless(lockers: Lockers) -> None:
    first = lockers.paid("order-1")
    again = parcels.confirm_reservation(db_session=lockers.db_session, order_ref="order-1")
    assert (again.id, again.state) == (first.id, "awaiting_delivery")


def test_a_payment_after_the_hold_lapsed_holds_a_compartment_again(lockers: Lockers) -> None:
    db = lockers.db_session
    lockers.reserve("late", size="L")
    flows.expire_reservations(db_session=db, now=NOW + timedelta(hours=1))
    confirmed = parcels.confirm_reservation(
        db_session=db, order_ref="late", policy=lockers.policy, now=NOW + timedelta(hours=1)
    )
    assert (confirmed.state, confirmed.compartment_label) == ("awaiting_delivery", "A05")
    assert compartment_states(db, lockers.site)["A05"] == "reserved"


@sqlite_only
def test_a_payment_after_the_hold_lapsed_at_a_now_full_site_is_refused(lockers: Lockers) -> None:
    db = lockers.db_session
    lockers.reserve("late", size="L")
    flows.expire_reservations(db_session=db, now=NOW + timedelta(hours=1))
    lockers.paid("early", size="L")
    with pytest.raises(NoRoom, match="no free compartment for size L"):
        parcels.confirm_reservation(db_session=db, order_ref="late", policy=lockers.policy)
    assert parcels.parcel_status(db_session=db, order_ref="late").state == "cancelled"

"""Courier deposits: the smallest fitting compartment, a code sent, the fallback when full."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from sqlalchemy.orm import Session

from tests.lockers.conftest import (
    NOW,
    Lockers,
    code_sent_to,
    compartment_states,
    make_site,
    sqlite_only,
)
from vitrine.lockers import flows
from vitrine.lockers import parcel_service as parcels
from vitrine.lockers.errors import CourierRefused, NoRoom, UnknownParcel, WrongState
from vitrine.lockers.models import LockerSite
from vitrine.notifications import service as outbox


def deposit(
    lockers: Lockers,
    order_ref: str,
    *,
    site: LockerSite | None = None,
    token: str | None = None,
    size: str | None = None,
    dimensions: Sequence[float] | None = None,
) -> flows.Deposit:
    return flows.deposit(
        db_session=lockers.db_session,
        courier_token=token or lockers.courier_token,
        site_id=(site or lockers.site).id,
        order_ref=order_ref,
        size=size,
        dimensions_cm=dimensions,
        policy=lockers.policy,
        now=NOW,
    )


def test_a_parcel_goes_in_its_reserved_compartment_and_its_code_is_sent(lockers: Lockers) -> None:
    lockers.paid("order-1", size="M")
    result = deposit(lockers, "order-1")
    assert (result.status, result.compartment, result.parcel.state) == (
        "deposited",
        "A03",
        "deposited",
    )
    assert compartment_states(lockers.db_session, lockers.site)["A03"] == "occupied"
    code = code_sent_to(lockers.db_session, "order-1@example.com")
    assert len(code) == 10
    assert result.parcel.code_hash is not None and code not in result.parcel.code_hash
    [message] = outbox.pending_messages(db_session=lockers.db_session)
    assert message.subject == "Your parcel is ready at Les Halles"
    assert message.secret and message.sealed and code not in message.body  # sealed at rest


def test_a_smaller_parcel_takes_the_smallest_free_compartment_that_fits(lockers: Lockers) -> None:
    lockers.paid("order-1", size="L")
    result = deposit(lockers, "order-1", dimensions=(5, 30, 40))  # fits an S
    assert result.compartment == "A01"
    states = compartment_states(lockers.db_session, lockers.site)
    assert (states["A01"], states["A05"]) == ("occupied", "free")  # the held L is given back


def test_a_bigger_parcel_than_reserved_takes_a_bigger_compartment(lockers: Lockers) -> None:
    lockers.paid("order-1", size="S")
    assert deposit(lockers, "order-1", size="L").compartment == "A05"
    states = compartment_states(lockers.db_session, lockers.site)
    assert (states["A01"], states["A05"]) == ("free", "occupied")


def test_a_wrong_or_revoked_courier_token_is_refused_and_nothing_changes(
    lockers: Lockers,
) -> None:
    lockers.paid("order-1")
    before = compartment_states(lockers.db_session, lockers.site)
    with pytest.raises(CourierRefused, match="unknown courier token"):
        deposit(lockers, "order-1", token="vtc_guess")
    courier = parcels.authenticate_courier(
        db_session=lockers.db_session, token=lockers.courier_token
    )
    parcels.revoke_courier(db_session=lockers.db_session, courier_id=courier.id)
    with pytest.raises(CourierRefused, match="revoked"):
        deposit(lockers, "order-1")
    assert compartment_states(lockers.db_session, lockers.site) == before
    assert outbox.pending_messages(db_session=lockers.db_session) == []


@sqlite_only
def test_parcels_that_cannot_be_deposited_are_named(lockers: Lockers) -> None:
    other = make_site(lockers.db_session, "Bastille", {"S": 1}, 48.8532, 2.3692)
    lockers.reserve("unpaid")
    lockers.paid("elsewhere", site=other)
    with pytest.raises(UnknownParcel, match="order nope has no locker delivery"):
        deposit(lockers, "nope")
    with pytest.raises(WrongState, match="not paid yet"):
        deposit(lockers, "unpaid")
    with pytest.raises(WrongState, match="goes to the Bastille locker"):
        deposit(lockers, "elsewhere")
    deposit(lockers, "elsewhere", site=other)
    with pytest.raises(WrongState, match="already deposited"):
        deposit(lockers, "elsewhere", site=other)


def test_a_full_site_redirects_to_the_nearest_site_with_room(
    db_session: Session, lockers: Lockers
) -> None:
    far = make_site(db_session, "Nation", {"L": 1}, 48.8483, 2.3958)  # 4 km: beyond the 3 km
    near = make_site(db_session, "Louvre", {"S": 1, "L": 1}, 48.8606, 2.3376)  # 0.7 km
    lockers.paid("order-1", size="S")
    result = deposit(lockers, "order-1", size="L", dimensions=None)
    assert result.compartment == "A05"  # the site's only L
    lockers.paid("order-2", size="S")
    redirected = deposit(lockers, "order-2", size="L")
    assert (redirected.status, redirected.site.name, redirected.compartment) == (
        "redirected",
        "Louvre",
        "A02",
    )
    assert 0.5 < redirected.km < 1
    assert compartment_states(db_session, near)["A02"] == "reserved"
    assert compartment_states(db_session, lockers.site)["A01"] == "free"  # its S is given back
    assert compartment_states(db_session, far) == {"A01": "free"}
    status = parcels.parcel_status(db_session=db_session, order_ref="order-2")
    assert (
        status.message
        == "On its way to the Louvre locker. Moved to Louvre because Les Halles was full."
    )
    moved = outbox.pending_messages(db_session=db_session, recipient="order-2@example.com")
    assert [message.subject for message in moved] == ["Your parcel goes to Louvre"]

    final = deposit(lockers, "order-2", site=near, size="L")
    assert (final.status, final.compartment) == ("deposited", "A02")
    messages = outbox.pending_messages(db_session=db_session, recipient="order-2@example.com")
    [code_message] = [message for message in messages if "Pickup code" in message.body]
    assert code_message.body.startswith("Les Halles was full, so your parcel went to Louvre.")


def test_a_full_site_without_room_nearby_refuses_and_keeps_everything(
    db_session: Session, lockers: Lockers
) -> None:
    make_site(db_session, "Nation", {"L": 1}, 48.8483, 2.3958)  # 4 km away: too far
    lockers.paid("order-1", size="L")
    lockers.paid("order-2", size="S")
    deposit(lockers, "order-1")
    before = compartment_states(db_session, lockers.site)
    with pytest.raises(NoRoom, match="no site within 3 km has one"):
        deposit(lockers, "order-2", size="L")
    assert compartment_states(db_session, lockers.site) == before
    assert parcels.parcel_status(db_session=db_session, order_ref="order-2").state == (
        "awaiting_delivery"
    )

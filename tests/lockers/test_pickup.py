"""Pickup with a code: opens its compartment once; wrong, expired, used codes and guessing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
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
from vitrine.lockers.errors import PickupRefused, UnknownSite
from vitrine.lockers.models import LockerParcel, LockerSite, PickupAttempt
from vitrine.lockers.pickup import service as pickup_service


def deposited(lockers: Lockers, order_ref: str, site: LockerSite | None = None) -> str:
    """Bring an order's parcel into a compartment; the code the shopper received."""
    lockers.paid(order_ref, site=site)
    flows.deposit(
        db_session=lockers.db_session,
        courier_token=lockers.courier_token,
        site_id=(site or lockers.site).id,
        order_ref=order_ref,
        policy=lockers.policy,
        now=NOW,
    )
    return code_sent_to(lockers.db_session, f"{order_ref}@example.com")


def pick_up(
    lockers: Lockers,
    code: str,
    *,
    client: str = "10.0.0.1",
    after: timedelta = timedelta(hours=1),
    site: LockerSite | None = None,
) -> pickup_service.Pickup:
    return pickup_service.pickup(
        db_session=lockers.db_session,
        site_id=(site or lockers.site).id,
        code=code,
        client=client,
        policy=lockers.policy,
        now=NOW + after,
    )


def refusal(lockers: Lockers, code: str, **kwargs: object) -> PickupRefused:
    with pytest.raises(PickupRefused) as refused:
        pick_up(lockers, code, **kwargs)  # type: ignore[arg-type]
    return refused.value


def test_the_right_code_opens_its_compartment_once_and_frees_it(lockers: Lockers) -> None:
    code = deposited(lockers, "order-1")
    deposited(lockers, "order-2")
    opened = pick_up(lockers, f"{code[:3]} {code[3:6]} {code[6:]}")
    assert (opened.compartment, opened.order_ref) == ("A01", "order-1")
    assert compartment_states(lockers.db_session, lockers.site)["A01"] == "free"
    assert compartment_states(lockers.db_session, lockers.site)["A02"] == "occupied"
    again = refusal(lockers, code)
    assert (again.problem, str(again)) == (
        "already_used",
        "This code was already used: the compartment was opened.",
    )
    status = parcels.parcel_status(db_session=lockers.db_session, order_ref="order-1")
    assert status.state == "collected"


def test_a_wrong_code_opens_nothing(lockers: Lockers) -> None:
    code = deposited(lockers, "order-1")
    wrong = f"{(int(code) + 1) % 10**10:010d}"
    refused = refusal(lockers, wrong)
    assert (refused.problem, str(refused)) == (
        "wrong_code",
        "Wrong code: check the digits in your message.",
    )
    assert compartment_states(lockers.db_session, lockers.site)["A01"] == "occupied"


def test_a_code_of_one_site_never_opens_another_site(db_session: Session, lockers: Lockers) -> None:
    other = make_site(db_session, "Louvre", {"S": 1}, 48.8606, 2.3376)
    code = deposited(lockers, "order-1")
    assert refusal(lockers, code, site=other).problem == "wrong_code"
    assert pick_up(lockers, code).compartment == "A01"


def test_an_expired_code_is_refused_and_the_parcel_stays(lockers: Lockers) -> None:
    code = deposited(lockers, "order-1")
    refused = refusal(lockers, code, after=timedelta(days=3, seconds=1))
    assert (refused.problem, str(refused)) == (
        "expired",
        "This code has expired: the parcel goes back to the sender.",
    )
    assert compartment_states(lockers.db_session, lockers.site)["A01"] == "occupied"


@sqlite_only
def test_a_malformed_code_is_explained_and_not_counted(lockers: Lockers) -> None:
    for _ in range(8):
        assert refusal(lockers, "12345").problem == "malformed"
    code = deposited(lockers, "order-1")
    assert pick_up(lockers, code).compartment == "A01"


def test_a_client_is_slowed_then_answered_at_once_and_others_are_not(lockers: Lockers) -> None:
    code = deposited(lockers, "order-1")
    waits = []
    for _ in range(7):
        booked = pickup_service.book_typed_code(
            db_session=lockers.db_session,
            site_id=lockers.site.id,
            code="0000000000",
            client="10.0.0.1",
            now=NOW + timedelta(hours=1),
        )
        waits.append((booked.check_at - NOW - timedelta(hours=1)).total_seconds())
        with pytest.raises(PickupRefused):
            pickup_service.check_typed_code(
                db_session=lockers.db_session, booked=booked, policy=lockers.policy, now=NOW
            )
    assert waits == [0, 0, 0, 2, 4, 8, 16]
    refused = refusal(lockers, code)  # past the 30 s cap: this client only, answered at once
    assert (refused.problem, refused.retry_after_seconds) == ("too_many_attempts", 900)
    assert str(refused) == "Too many wrong codes from here: try again in 900 s."
    assert pick_up(lockers, code, client="10.0.0.2").compartment == "A01"  # another client


def test_the_issues_attack_no_longer_keeps_the_owner_out(lockers: Lockers) -> None:
    """10 wrong codes from 2 addresses locked the whole site for 300 s; now nothing waits."""
    code = deposited(lockers, "order-1")
    for n in range(10):
        refusal(lockers, "0000000000", client=f"10.0.1.{n % 2}")
    booked = pickup_service.book_typed_code(
        db_session=lockers.db_session,
        site_id=lockers.site.id,
        code=code,
        client="10.0.2.1",
        now=NOW + timedelta(hours=1),
    )
    assert booked.check_at == NOW + timedelta(hours=1)  # no wait for a fresh address
    opened = pickup_service.check_typed_code(
        db_session=lockers.db_session, booked=booked, policy=lockers.policy, now=booked.check_at
    )
    assert opened.compartment == "A01"


def test_a_flooded_site_slows_typed_codes_but_the_qr_token_always_opens(lockers: Lockers) -> None:
    code = deposited(lockers, "order-1")
    for n in range(200):  # any number of addresses, as fast as the site lets them
        assert refusal(lockers, "0000000000", client=f"10.1.0.{n}").problem in {
            "wrong_code",
            "too_many_attempts",
        }
    counted = lockers.db_session.scalar(
        select(func.count()).select_from(PickupAttempt).where(PickupAttempt.counts_as_failure)
    )
    assert counted == 31  # 30 at once, then one slot 24 min later: the rest were answered
    typed = refusal(lockers, code, client="10.9.9.9")
    assert typed.problem == "too_many_attempts" and "scan the QR code" in str(typed)
    parcel = lockers.db_session.scalar(
        select(LockerParcel).where(LockerParcel.order_ref == "order-1")
    )
    assert parcel is not None
    token = pickup_service.pickup_token(secret_key=lockers.policy.secret_key, parcel=parcel)
    assert token is not None and len(token) < 80
    opened = pick_up(lockers, token, client="10.9.9.9")
    assert opened.compartment == "A01"


def test_a_forged_or_misplaced_token_opens_nothing_and_counts_for_nothing(lockers: Lockers) -> None:
    deposited(lockers, "order-1")
    other = make_site(lockers.db_session, "Bastille", {"S": 1}, 48.8532, 2.3692)
    code = deposited(lockers, "order-2", site=other)
    parcel = lockers.db_session.scalar(
        select(LockerParcel).where(LockerParcel.order_ref == "order-2")
    )
    assert parcel is not None
    token = pickup_service.pickup_token(secret_key=lockers.policy.secret_key, parcel=parcel)
    assert token is not None
    assert refusal(lockers, token).problem == "bad_token"  # another site's token
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert refusal(lockers, forged, site=other).problem == "bad_token"
    assert refusal(lockers, "VP1-nonsense", site=other).problem == "bad_token"
    assert pick_up(lockers, token, site=other).compartment == "A01"
    assert refusal(lockers, token, site=other).problem == "already_used"
    assert refusal(lockers, code, site=other).problem == "already_used"
    assert (
        pickup_service.pickup_token_for_order(
            db_session=lockers.db_session, order_ref="order-2", secret_key=lockers.policy.secret_key
        )
        is None
    )  # collected: no token any more
    counted = lockers.db_session.scalar(
        select(func.count()).select_from(PickupAttempt).where(PickupAttempt.counts_as_failure)
    )
    assert counted == 1  # only the typed code after use


def test_every_attempt_is_in_the_audit_log(lockers: Lockers) -> None:
    code = deposited(lockers, "order-1")
    refusal(lockers, "1")
    refusal(lockers, "0000000000")
    pick_up(lockers, code)
    rows = lockers.db_session.scalars(select(PickupAttempt).order_by(PickupAttempt.outcome))
    assert [(row.outcome, row.counts_as_failure, row.client) for row in rows] == [
        ("malformed", False, "10.0.0.1"),
        ("opened", False, "10.0.0.1"),
        ("wrong_code", True, "10.0.0.1"),
    ]


@sqlite_only
def test_an_unknown_site_is_named(lockers: Lockers) -> None:
    with pytest.raises(UnknownSite):
        pickup_service.pickup(
            db_session=lockers.db_session,
            site_id="nope",
            code="0000000000",
            client="x",
            policy=lockers.policy,
        )

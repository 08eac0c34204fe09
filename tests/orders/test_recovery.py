"""A checkout killed at any step is completed or cancelled by the reconciler, never left placed.

Each kill point is the checkout stopped right after a step became durable ("placed": order and
stock committed; "attempt_recorded": the pending payment committed; "charged": the gateway
charged; "settled": the payment recorded). Then the reconciler runs, and the shop must hold:
no order in "placed", reserved stock equal to the live orders' lines, every captured charge
belonging to a paid order, no key charged twice.
"""

from __future__ import annotations

import dataclasses
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.orders.conftest import Shop
from vitrine.catalog.models import StockLevel
from vitrine.db import utc_now
from vitrine.lockers import parcel_service as lockers
from vitrine.orders import service as orders
from vitrine.orders.contact import CheckoutDetails
from vitrine.orders.flows import CheckoutDesk, CheckoutRequest, checkout
from vitrine.orders.models import Order, OrderLine, Payment
from vitrine.orders.outcomes import CONFIRMING
from vitrine.orders.payments import ChargeRequest, ChargeResult, GatewayUnavailable
from vitrine.orders.recovery_service import reconcile
from vitrine.orders.sandbox_gateway import SandboxGateway
from vitrine.orders.states import CANCELLED, PAID, PLACED, REFUNDED

LATER = timedelta(minutes=10)  # past the default 5 minutes: the reconciler's business


class Crash(Exception):
    """The process dies here (nothing after this line of the checkout runs)."""


def crashing_at(desk: CheckoutDesk, step: str) -> CheckoutDesk:
    def checkpoint(reached: str) -> None:
        if reached == step:
            raise Crash(step)

    return dataclasses.replace(desk, checkpoint=checkpoint)


def crash_checkout(shop: Shop, step: str, request: CheckoutRequest) -> None:
    with pytest.raises(Crash):
        checkout(desk=crashing_at(shop.desk, step), request=request)


def order_of(shop: Shop, key: str) -> Order:
    with shop.installation.session_factory() as session:
        order = orders.get_order_by_idempotency_key(db_session=session, key=key)
        assert order is not None
        full = orders.get_order_by_tracking(db_session=session, tracking_token=order.tracking_token)
        assert full is not None
        session.expunge_all()
        return full


def assert_shop_consistent(shop: Shop) -> None:
    with shop.installation.session_factory() as session:
        placed = session.scalar(select(func.count()).where(Order.state == PLACED))
        reserved = session.scalar(select(func.coalesce(func.sum(StockLevel.reserved), 0)))
        live_lines = session.scalar(
            select(func.coalesce(func.sum(OrderLine.quantity), 0))
            .join(Order, Order.id == OrderLine.order_id)
            .where(Order.state.notin_((CANCELLED, REFUNDED)))
        )
        paid_references = set(
            session.scalars(
                select(Payment.gateway_reference)
                .join(Order, Order.id == Payment.order_id)
                .where(Payment.status == "captured", Order.state == PAID)
            )
        )
    assert placed == 0
    assert reserved == live_lines
    assert shop.gateway.captured_references() == paid_references


KILL_POINTS = [
    # step, what the reconciler makes of the order, the payment rows it leaves
    ("placed", CANCELLED, []),
    ("attempt_recorded", CANCELLED, ["abandoned"]),
    ("charged", PAID, ["captured"]),
    ("settled", PAID, ["captured"]),
]


@pytest.mark.parametrize(("step", "state", "payments"), KILL_POINTS)
def test_the_reconciler_repairs_a_checkout_killed_at_each_step(
    shop: Shop, step: str, state: str, payments: list[str]
) -> None:
    cart_id = shop.cart_with(quantity=2)
    request = shop.request(cart_id)
    crash_checkout(shop, step, request)
    assert order_of(shop, request.idempotency_key).state == (PAID if step == "settled" else PLACED)

    report = reconcile(shop.desk, now=utc_now() + LATER)

    order = order_of(shop, request.idempotency_key)
    assert order.state == state
    assert [p.status for p in order.payments] == payments
    recovered = [e for e in order.events if e.actor == "reconciler"]
    if step == "settled":
        assert (report.completed, report.cancelled, recovered) == (0, 0, [])
    else:
        assert [(e.from_state, e.to_state) for e in recovered] == [(PLACED, state)]
        assert "recovered after an interrupted checkout" in recovered[0].note
    assert shop.gateway.charges_captured == (1 if state == PAID else 0)
    with shop.installation.session_factory() as session:
        cart = orders.get_cart(db_session=session, cart_id=cart_id)
        left_in_cart = orders.view_cart(db_session=session, cart=cart).count
    assert left_in_cart == (0 if state == PAID else 2)  # a paid order empties its cart
    assert_shop_consistent(shop)


@pytest.mark.parametrize("step", ["placed", "attempt_recorded", "charged", "settled"])
def test_a_retry_after_the_crash_returns_the_same_order_and_never_charges_again(
    shop: Shop, step: str
) -> None:
    request = shop.request(shop.cart_with())
    crash_checkout(shop, step, request)
    first = order_of(shop, request.idempotency_key)

    retry = checkout(desk=shop.desk, request=request)

    assert retry.replayed
    assert retry.tracking_token == first.tracking_token
    charged = step in ("charged", "settled")
    if charged:  # the gateway's answer settles it at once
        assert (retry.state, retry.paid) == (PAID, True)
    else:  # the first request may still be running: not cancelled under its feet
        assert (retry.state, retry.paid, retry.message) == (PLACED, False, CONFIRMING)
        later = dataclasses.replace(shop.desk, stale_after=timedelta(0))
        retry = checkout(desk=later, request=request)  # once it is stale: the reconciler's path
        assert (retry.state, retry.paid, retry.tracking_token) == (
            CANCELLED,
            False,
            first.tracking_token,
        )
    again = checkout(desk=shop.desk, request=request)
    assert (again.tracking_token, again.state) == (first.tracking_token, retry.state)
    assert shop.gateway.charges_captured == (1 if charged else 0)
    assert_shop_consistent(shop)


def test_a_charge_that_lands_after_the_reconciler_gave_up_is_refunded(shop: Shop) -> None:
    """A checkout stalled past the stale age: the reconciler cancels, then the charge arrives."""
    request = shop.request(shop.cart_with())

    def stall(step: str) -> None:
        if step == "attempt_recorded":
            report = reconcile(shop.desk, now=utc_now() + LATER)
            assert report.cancelled == 1

    outcome = checkout(desk=dataclasses.replace(shop.desk, checkpoint=stall), request=request)

    assert (outcome.state, outcome.paid) == (CANCELLED, False)
    order = order_of(shop, request.idempotency_key)
    assert [p.status for p in order.payments] == ["refunded"]
    assert "refunded in full" in order.events[-1].note
    assert shop.gateway.charges_captured == 1
    assert shop.gateway.captured_references() == set()  # the money went back
    assert_shop_consistent(shop)


def test_a_locker_order_charged_before_the_crash_keeps_its_compartment(shop: Shop) -> None:
    details = CheckoutDetails(
        email="a@b.fr", phone="", delivery_method="locker", locker_site_id=shop.locker_site_id
    )
    request = shop.request(shop.cart_with(), details=details)
    crash_checkout(shop, "charged", request)

    report = reconcile(shop.desk, now=utc_now() + LATER)

    assert report.completed == 1
    order = order_of(shop, request.idempotency_key)
    assert order.state == PAID
    with shop.installation.session_factory() as session:
        status = lockers.parcel_status(db_session=session, order_ref=order.id)
    assert status.state == "awaiting_delivery"
    assert_shop_consistent(shop)


def test_a_locker_order_never_charged_gives_its_compartment_back(shop: Shop) -> None:
    details = CheckoutDetails(
        email="a@b.fr", phone="", delivery_method="locker", locker_site_id=shop.locker_site_id
    )
    request = shop.request(shop.cart_with(), details=details)
    crash_checkout(shop, "attempt_recorded", request)

    reconcile(shop.desk, now=utc_now() + LATER)

    order = order_of(shop, request.idempotency_key)
    assert order.state == CANCELLED
    with shop.installation.session_factory() as session:
        assert lockers.active_parcel(db_session=session, order_ref=order.id) is None
    assert_shop_consistent(shop)


def test_recent_placed_orders_are_left_to_their_checkout(shop: Shop) -> None:
    request = shop.request(shop.cart_with())
    crash_checkout(shop, "attempt_recorded", request)

    report = reconcile(shop.desk)

    assert (report.completed, report.cancelled) == (0, 0)
    assert order_of(shop, request.idempotency_key).state == PLACED


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_a_retry_and_two_reconcilers_at_once_complete_the_order_once_on_postgres(
    shop: Shop,
) -> None:
    request = shop.request(shop.cart_with())
    crash_checkout(shop, "charged", request)
    barrier = threading.Barrier(3)
    errors: list[BaseException] = []

    def run(job: object) -> None:
        barrier.wait()
        try:
            job()  # type: ignore[operator]
        except BaseException as error:
            errors.append(error)

    jobs = [
        lambda: checkout(desk=shop.desk, request=request),
        lambda: reconcile(shop.desk, now=utc_now() + LATER),
        lambda: reconcile(shop.desk, now=utc_now() + LATER),
    ]
    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    order = order_of(shop, request.idempotency_key)
    assert [(e.from_state, e.to_state) for e in order.events] == [(None, PLACED), (PLACED, PAID)]
    assert [p.status for p in order.payments] == ["captured"]
    assert shop.gateway.charges_captured == 1
    assert_shop_consistent(shop)


class LostAnswers:
    """The sandbox behind a network that loses every charge's answer (a timeout)."""

    name = "sandbox"

    def __init__(self, inner: SandboxGateway, *, charge_arrives: bool, lookups_fail: bool = False):
        self.inner, self.charge_arrives, self.lookups_fail = inner, charge_arrives, lookups_fail

    def charge(self, request: ChargeRequest) -> ChargeResult:
        if self.charge_arrives:
            self.inner.charge(request)
        raise GatewayUnavailable("the gateway did not answer within 30 s")

    def find_charge(self, idempotency_key: str) -> ChargeResult | None:
        if self.lookups_fail:
            raise GatewayUnavailable("the gateway did not answer within 30 s")
        return self.inner.find_charge(idempotency_key)

    def refund(self, gateway_reference: str, amount_minor: int, idempotency_key: str) -> bool:
        return self.inner.refund(gateway_reference, amount_minor, idempotency_key)


@pytest.mark.parametrize("charge_arrives", [True, False])
def test_a_charge_whose_answer_is_lost_is_settled_from_the_gateway_later(
    shop: Shop, charge_arrives: bool
) -> None:
    request = shop.request(shop.cart_with())
    timing_out = dataclasses.replace(
        shop.desk, gateway=LostAnswers(shop.gateway, charge_arrives=charge_arrives)
    )

    outcome = checkout(desk=timing_out, request=request)

    assert (outcome.state, outcome.paid, outcome.message) == (PLACED, False, CONFIRMING)
    unreachable = dataclasses.replace(
        shop.desk, gateway=LostAnswers(shop.gateway, charge_arrives=False, lookups_fail=True)
    )
    assert reconcile(unreachable, now=utc_now() + LATER).waiting == 1  # asked again next run
    assert order_of(shop, request.idempotency_key).state == PLACED

    reconcile(shop.desk, now=utc_now() + LATER)

    assert order_of(shop, request.idempotency_key).state == (PAID if charge_arrives else CANCELLED)
    assert shop.gateway.charges_captured == int(charge_arrives)
    assert_shop_consistent(shop)

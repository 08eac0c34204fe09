"""Checkout: an order is never lost or charged twice, and a failed payment keeps the cart."""

from __future__ import annotations

import dataclasses
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.orders.conftest import DECLINED_CARD, Shop
from vitrine.catalog import stock_service as stock
from vitrine.lockers import flows as locker_flows
from vitrine.lockers import parcel_service as lockers
from vitrine.notifications.models import OutboxMessage
from vitrine.orders import service as orders
from vitrine.orders.contact import CheckoutDetails, InvalidDetails
from vitrine.orders.flows import CheckoutRefused, checkout
from vitrine.orders.models import Order, Payment
from vitrine.orders.offers import OfferUnavailable
from vitrine.orders.payments import ChargeRequest, ChargeResult


def _count(shop: Shop, model: type) -> int:
    with shop.installation.session_factory() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _available(shop: Shop) -> int:
    with shop.installation.session_factory() as session:
        return stock.available(db_session=session, variant_id=shop.variant_id)


def _cart_size(shop: Shop, cart_id: str) -> int:
    with shop.installation.session_factory() as session:
        cart = orders.get_cart(db_session=session, cart_id=cart_id)
        return orders.view_cart(db_session=session, cart=cart).count


def test_a_paid_home_order_reserves_stock_empties_the_cart_and_notifies(shop: Shop) -> None:
    cart_id = shop.cart_with(quantity=2)
    outcome = checkout(desk=shop.desk, request=shop.request(cart_id))
    assert (outcome.paid, outcome.state) == (True, "paid")
    assert _available(shop) == 1
    assert _cart_size(shop, cart_id) == 0
    with shop.installation.session_factory() as session:
        order = orders.get_order_by_tracking(
            db_session=session, tracking_token=outcome.tracking_token
        )
        assert order is not None
        assert order.total_minor == 3980
        assert [(e.from_state, e.to_state) for e in order.events] == [
            (None, "placed"),
            ("placed", "paid"),
        ]
        assert [p.status for p in order.payments] == ["captured"]
        message = session.scalar(select(OutboxMessage))
        assert message is not None
        assert message.recipient == "lea@example.fr"
        assert outcome.tracking_token in message.body


def test_a_declined_card_cancels_the_order_and_keeps_the_cart(shop: Shop) -> None:
    cart_id = shop.cart_with()
    outcome = checkout(desk=shop.desk, request=shop.request(cart_id, card=DECLINED_CARD))
    assert (outcome.paid, outcome.state) == (False, "cancelled")
    assert outcome.message == "The card was declined."
    assert _cart_size(shop, cart_id) == 1
    assert _available(shop) == 3
    retry = checkout(desk=shop.desk, request=shop.request(cart_id))
    assert retry.paid


def test_the_same_checkout_posted_twice_charges_once(shop: Shop) -> None:
    request = shop.request(shop.cart_with())
    first = checkout(desk=shop.desk, request=request)
    second = checkout(desk=shop.desk, request=request)
    assert second.replayed
    assert second.tracking_token == first.tracking_token
    assert (_count(shop, Order), _count(shop, Payment), shop.gateway.charges_captured) == (1, 1, 1)


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_concurrent_double_submits_charge_once_on_postgres(shop: Shop) -> None:
    request = shop.request(shop.cart_with())
    outcomes: list[object] = []
    barrier = threading.Barrier(4)

    def submit() -> None:
        barrier.wait()
        outcomes.append(checkout(desk=shop.desk, request=request))

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(outcomes) == 4
    assert len({o.tracking_token for o in outcomes}) == 1  # type: ignore[attr-defined]
    assert (_count(shop, Order), _count(shop, Payment), shop.gateway.charges_captured) == (1, 1, 1)


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_two_shoppers_cannot_both_buy_the_last_unit_on_postgres(shop: Shop) -> None:
    carts = [shop.cart_with(quantity=2), shop.cart_with(quantity=2)]  # 3 in stock
    results: list[str] = []
    barrier = threading.Barrier(2)

    def buy(cart_id: str) -> None:
        barrier.wait()
        try:
            results.append(checkout(desk=shop.desk, request=shop.request(cart_id)).state)
        except CheckoutRefused as refused:
            results.append(str(refused))

    threads = [threading.Thread(target=buy, args=(cart,)) for cart in carts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["Product TEE one: only 1 left", "paid"]
    assert _available(shop) == 1


def test_an_empty_cart_cannot_check_out(shop: Shop) -> None:
    with pytest.raises(CheckoutRefused, match="your cart is empty"):
        checkout(desk=shop.desk, request=shop.request("no-such-cart"))
    assert _count(shop, Order) == 0


def test_malformed_details_are_refused_before_anything_is_stored(shop: Shop) -> None:
    bad = dataclasses.replace(shop.request(shop.cart_with()).details, email="nope", postcode="1")
    with pytest.raises(InvalidDetails) as caught:
        checkout(desk=shop.desk, request=shop.request(shop.cart_with(), details=bad))
    assert set(caught.value.problems) == {"email", "postcode"}
    assert _count(shop, Order) == 0


def test_a_locker_order_holds_a_compartment(shop: Shop) -> None:
    details = CheckoutDetails(email="a@b.fr", phone="", delivery_method="locker",
                              locker_site_id=shop.locker_site_id)  # fmt: skip
    outcome = checkout(desk=shop.desk, request=shop.request(shop.cart_with(), details=details))
    assert outcome.paid
    with shop.installation.session_factory() as session:
        order = orders.get_order_by_tracking(
            db_session=session, tracking_token=outcome.tracking_token
        )
        assert order is not None
        status = lockers.parcel_status(db_session=session, order_ref=order.id)
    assert status.state == "awaiting_delivery"


def test_a_locker_that_just_became_full_is_refused_and_the_cart_survives(shop: Shop) -> None:
    details = CheckoutDetails(email="a@b.fr", phone="", delivery_method="locker",
                              locker_site_id=shop.locker_site_id)  # fmt: skip
    for _ in range(2):  # the site has one S and one M compartment
        checkout(desk=shop.desk, request=shop.request(shop.cart_with(), details=details))
    cart_id = shop.cart_with()
    with pytest.raises(CheckoutRefused, match="just become full"):
        checkout(desk=shop.desk, request=shop.request(cart_id, details=details))
    assert _cart_size(shop, cart_id) == 1
    assert _available(shop) == 1


def test_cart_quantities_are_checked(shop: Shop) -> None:
    with shop.installation.session_factory() as session:
        cart = orders.open_cart(db_session=session, cart_id=None, showroom_id=None)
        for quantity, message in [(0, "at least 1"), (-2, "at least 1"), (4, "only 3 left")]:
            with pytest.raises(orders.CartError, match=message):
                orders.set_quantity(db_session=session, cart=cart, variant_id=shop.variant_id,
                                    quantity=quantity)  # fmt: skip
        with pytest.raises(orders.CartError, match="does not exist"):
            orders.set_quantity(db_session=session, cart=cart, variant_id="nope", quantity=1)


def test_a_locker_that_fills_up_while_the_shopper_pays_is_refunded(shop: Shop) -> None:
    """The hold lapses during payment and another order takes the last compartment."""
    policy = dataclasses.replace(shop.desk.locker_policy, reservation=timedelta(seconds=0))
    inner = shop.gateway

    class SlowGateway:
        name = "slow"

        def charge(self, request: ChargeRequest) -> ChargeResult:
            with shop.installation.session_factory() as session:
                locker_flows.expire_reservations(db_session=session)  # the lapsed hold ends
                for number in range(2):  # the site has one S and one M compartment
                    lockers.reserve_compartment(
                        db_session=session,
                        site_id=shop.locker_site_id,
                        size="S",
                        order_ref=f"other-{number}",
                        recipient="x@y.fr",
                        policy=dataclasses.replace(policy, reservation=timedelta(hours=1)),
                    )
            return inner.charge(request)

        def refund(self, gateway_reference: str, amount_minor: int, idempotency_key: str) -> bool:
            return inner.refund(gateway_reference, amount_minor, idempotency_key)

    desk = dataclasses.replace(shop.desk, gateway=SlowGateway(), locker_policy=policy)
    details = CheckoutDetails(
        email="a@b.fr", phone="", delivery_method="locker", locker_site_id=shop.locker_site_id
    )
    outcome = checkout(desk=desk, request=shop.request(shop.cart_with(), details=details))
    assert (outcome.paid, outcome.state) == (False, "refunded")
    assert "refunded in full" in outcome.message
    assert _available(shop) == 3


class CountedOffer:
    """An offer desk with one offer of `left` units at 9.00 EUR, like a live flash deal."""

    def __init__(self, left: int) -> None:
        self.left = left

    def price_of(self, *, db_session: object, offer_ref: str, variant_id: str) -> int:
        return 900

    def claim(self, *, db_session: object, offer_ref: str, quantity: int) -> None:
        if quantity > self.left:
            raise OfferUnavailable("the deal is sold out")
        self.left -= quantity

    def release(self, *, db_session: object, offer_ref: str, quantity: int) -> None:
        self.left += quantity


def _offer_cart(shop: Shop, quantity: int) -> str:
    with shop.installation.session_factory() as session, session.begin():
        cart = orders.open_cart(db_session=session, cart_id=None, showroom_id=None)
        orders.add_offer_to_cart(
            db_session=session,
            cart=cart,
            variant_id=shop.variant_id,
            offer_ref="deal-1",
            price_minor=900,
            quantity=quantity,
        )
        return cart.id


def test_an_offer_line_is_charged_at_the_offer_price_and_claims_its_units(shop: Shop) -> None:
    offers = CountedOffer(left=2)
    desk = dataclasses.replace(shop.desk, offers=offers)
    outcome = checkout(desk=desk, request=shop.request(_offer_cart(shop, 2)))
    assert outcome.paid
    with shop.installation.session_factory() as session:
        order = orders.get_order_by_tracking(
            db_session=session, tracking_token=outcome.tracking_token
        )
        assert order is not None
        assert (order.total_minor, order.lines[0].offer_ref) == (1800, "deal-1")
    assert offers.left == 0
    with pytest.raises(CheckoutRefused, match="sold out"):
        checkout(desk=desk, request=shop.request(_offer_cart(shop, 1)))
    assert _available(shop) == 1  # the refused order reserved no stock


def test_a_declined_offer_order_gives_the_units_back(shop: Shop) -> None:
    offers = CountedOffer(left=1)
    desk = dataclasses.replace(shop.desk, offers=offers)
    outcome = checkout(desk=desk, request=shop.request(_offer_cart(shop, 1), card=DECLINED_CARD))
    assert not outcome.paid
    assert offers.left == 1


def test_without_an_offer_desk_offer_lines_are_refused(shop: Shop) -> None:
    with pytest.raises(CheckoutRefused, match="does not exist"):
        checkout(desk=shop.desk, request=shop.request(_offer_cart(shop, 1)))

"""Operators move orders on (with refunds and messages); locker orders follow their parcel."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.orders.conftest import Shop
from vitrine.lockers import flows as locker_flows
from vitrine.lockers import parcel_service as lockers
from vitrine.notifications.models import OutboxMessage
from vitrine.orders import service as orders
from vitrine.orders.contact import CheckoutDetails
from vitrine.orders.flows import checkout
from vitrine.orders.fulfilment import advance, follow_locker
from vitrine.orders.models import Order
from vitrine.orders.states import IllegalTransition


def _order(shop: Shop, token: str) -> Order:
    with shop.installation.session_factory() as session:
        order = orders.get_order_by_tracking(db_session=session, tracking_token=token)
        assert order is not None
        return order


def test_an_operator_ships_and_delivers_a_home_order(shop: Shop) -> None:
    outcome = checkout(desk=shop.desk, request=shop.request(shop.cart_with()))
    order_id = _order(shop, outcome.tracking_token).id
    for target in ("packed", "shipped", "delivered"):
        advance(desk=shop.desk, order_id=order_id, target=target, actor="operator:ana@shop.fr")
    order = _order(shop, outcome.tracking_token)
    assert [e.to_state for e in order.events] == [
        "placed",
        "paid",
        "packed",
        "shipped",
        "delivered",
    ]
    assert order.events[-1].actor == "operator:ana@shop.fr"
    with shop.installation.session_factory() as session:
        subjects = [m.subject for m in session.scalars(select(OutboxMessage))]
    assert subjects[-2:] == ["Your Vitrine order is on its way", "Your Vitrine order was delivered"]
    with pytest.raises(IllegalTransition, match="delivered cannot become shipped"):
        advance(desk=shop.desk, order_id=order_id, target="shipped", actor="operator:x")


def test_a_refund_goes_back_to_the_card_and_restocks_unshipped_goods(shop: Shop) -> None:
    outcome = checkout(desk=shop.desk, request=shop.request(shop.cart_with(quantity=2)))
    order_id = _order(shop, outcome.tracking_token).id
    advance(desk=shop.desk, order_id=order_id, target="refunded", actor="operator:x")
    order = _order(shop, outcome.tracking_token)
    assert order.state == "refunded"
    assert [p.status for p in order.payments] == ["refunded"]
    with shop.installation.session_factory() as session:
        from vitrine.catalog import stock_service

        assert stock_service.available(db_session=session, variant_id=shop.variant_id) == 3


def test_a_locker_order_follows_its_parcel(shop: Shop) -> None:
    details = CheckoutDetails(
        email="a@b.fr", phone="", delivery_method="locker", locker_site_id=shop.locker_site_id
    )
    outcome = checkout(desk=shop.desk, request=shop.request(shop.cart_with(), details=details))
    order_id = _order(shop, outcome.tracking_token).id
    with shop.installation.session_factory() as session:
        _, token = lockers.create_courier(db_session=session, name="Velo Express")
        session.commit()
        locker_flows.deposit(
            db_session=session,
            courier_token=token,
            site_id=shop.locker_site_id,
            order_ref=order_id,
            policy=shop.desk.locker_policy,
        )
    follow_locker(desk=shop.desk, order_id=order_id)
    order = _order(shop, outcome.tracking_token)
    assert order.state == "ready_for_pickup"
    assert [(e.to_state, e.actor) for e in order.events[2:]] == [
        ("packed", "locker"),
        ("shipped", "locker"),
        ("ready_for_pickup", "locker"),
    ]
    follow_locker(desk=shop.desk, order_id=order_id)  # idempotent
    assert len(_order(shop, outcome.tracking_token).events) == 5

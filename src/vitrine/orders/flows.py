"""Checkout across capabilities: order, stock, locker hold, payment and notification.

Each step commits before the next talks to the outside (the locker desk, the payment gateway):
the order and its stock, the locker hold, the payment attempt (payment_service.py), then the
charge outside any transaction, then settling. A crash at any step leaves a placed order that
the reconciler (recovery_service.py) completes or cancels from what the gateway knows. The
shopper's idempotency key is unique in the database: a double click or a retried request
finds the first order and never charges twice; a retry of a placed order takes the
reconciler's path.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from vitrine.catalog import stock_service as stock
from vitrine.lockers import parcel_service as lockers
from vitrine.lockers.errors import LockerError
from vitrine.lockers.policy import LockerPolicy
from vitrine.orders import service as orders
from vitrine.orders.contact import CheckoutDetails, validate_details
from vitrine.orders.models import Order, OrderEvent, OrderLine
from vitrine.orders.offers import OfferUnavailable
from vitrine.orders.outcomes import CONFIRMING, CheckoutOutcome, CheckoutRefused
from vitrine.orders.parcels import parcel_size
from vitrine.orders.payment_service import (
    cancel_placed,
    outcome_of,
    record_attempt,
    release_line,
    settle,
)
from vitrine.orders.payments import CardDetails, GatewayUnavailable, PaymentGateway
from vitrine.orders.recovery_service import recover_order
from vitrine.orders.states import PLACED

__all__ = [
    "CheckoutDesk",
    "CheckoutOutcome",
    "CheckoutRefused",
    "CheckoutRequest",
    "NoOffers",
    "OfferDesk",
    "checkout",
    "release_line",
]


class OfferDesk(Protocol):
    """Special offers (e.g. live flash deals): the checkout claims an offer's units in the
    order's own transaction, so a limited offer is never oversold; a cancel gives them back."""

    def price_of(self, *, db_session: Session, offer_ref: str, variant_id: str) -> int:
        """The offer's unit price in minor units, or OfferUnavailable."""
        ...

    def claim(self, *, db_session: Session, offer_ref: str, quantity: int) -> None:
        """Take `quantity` units of the offer atomically, or raise OfferUnavailable."""
        ...

    def release(self, *, db_session: Session, offer_ref: str, quantity: int) -> None:
        """Give back units claimed by an order that will not be paid."""
        ...


class NoOffers:
    """The desk of an installation without offers: every offer reference is unknown."""

    def price_of(self, *, db_session: Session, offer_ref: str, variant_id: str) -> int:
        raise OfferUnavailable("this offer does not exist")

    def claim(self, *, db_session: Session, offer_ref: str, quantity: int) -> None:
        raise OfferUnavailable("this offer does not exist")

    def release(self, *, db_session: Session, offer_ref: str, quantity: int) -> None:
        return None


@dataclass(frozen=True)
class CheckoutRequest:
    cart_id: str
    details: CheckoutDetails
    card: CardDetails
    idempotency_key: str
    showroom_id: str | None = None
    language: str = "en"  # the shopper's: the order's messages are written in it


@dataclass(frozen=True)
class CheckoutDesk:
    """What a checkout needs from the installation."""

    session_factory: sessionmaker[Session]
    gateway: PaymentGateway
    locker_policy: LockerPolicy
    offers: OfferDesk = field(default_factory=NoOffers)
    # How long a placed order may wait for its own checkout before the reconciler settles it;
    # longer than any gateway call can take.
    stale_after: timedelta = timedelta(minutes=5)
    # Called with the name of each step once it is durable ("attempt_recorded", "charged",
    # "settled"): where the fault tests stop a checkout, and nothing in production.
    checkpoint: Callable[[str], None] = field(default=lambda step: None)


def checkout(*, desk: CheckoutDesk, request: CheckoutRequest) -> CheckoutOutcome:
    if not 16 <= len(request.idempotency_key) <= 64:
        raise CheckoutRefused("this checkout form is invalid; reload the page")
    earlier = _earlier_outcome(desk, request.idempotency_key)
    if earlier is not None:
        return earlier
    details = validate_details(request.details)
    try:
        order_id = _place_order(desk, request, details)
    except IntegrityError:
        replay = _earlier_outcome(desk, request.idempotency_key)
        if replay is None:
            raise
        return replay
    if details.delivery_method == "locker":
        _hold_locker(desk, order_id, details)
    desk.checkpoint("placed")
    return _charge(desk, order_id, request.card)


def _earlier_outcome(desk: CheckoutDesk, key: str) -> CheckoutOutcome | None:
    with desk.session_factory() as session:
        order = orders.get_order_by_idempotency_key(db_session=session, key=key)
        if order is None:
            return None
        order_id, state = order.id, order.state
    if state == PLACED:  # its first request died, or is still running
        return recover_order(desk, order_id, replayed=True)
    return outcome_of(desk, order_id, replayed=True)


def _place_order(desk: CheckoutDesk, request: CheckoutRequest, details: CheckoutDetails) -> str:
    with desk.session_factory() as session, session.begin():
        cart = orders.get_cart(db_session=session, cart_id=request.cart_id)
        view = orders.view_cart(db_session=session, cart=cart)
        if not view.items or view.currency is None:
            raise CheckoutRefused("your cart is empty")
        order = _new_order(request, details, view)
        for item in view.items:
            _reserve_item(desk, session, item)
        session.add(order)
        session.flush()
        return order.id


def _reserve_item(desk: CheckoutDesk, session: Session, item: orders.CartItem) -> None:
    """Stock, and the offer's units for an offer line, in the order's own transaction."""
    try:
        if item.offer_ref:
            desk.offers.claim(db_session=session, offer_ref=item.offer_ref, quantity=item.quantity)
        stock.reserve(db_session=session, variant_id=item.variant_id, quantity=item.quantity)
    except (stock.OutOfStock, OfferUnavailable) as error:
        raise CheckoutRefused(f"{item.product_name} {item.variant_label}: {error}") from error


def _new_order(request: CheckoutRequest, details: CheckoutDetails, view: orders.CartView) -> Order:
    order = Order(
        tracking_token=secrets.token_urlsafe(24),
        idempotency_key=request.idempotency_key,
        showroom_id=request.showroom_id,
        cart_id=request.cart_id or None,
        state=PLACED,
        email=details.email,
        phone=details.phone,
        delivery_method=details.delivery_method,
        recipient_name=details.recipient_name,
        address_line=details.address_line,
        postcode=details.postcode,
        city=details.city,
        locker_site_id=details.locker_site_id or None,
        total_minor=view.total_minor,
        currency=view.currency or "EUR",
        language=request.language,
    )
    order.lines = [
        OrderLine(
            variant_id=item.variant_id,
            product_id=item.product_id,
            sku=item.sku,
            product_name=item.product_name,
            variant_label=item.variant_label,
            unit_price_minor=item.unit_price_minor,
            offer_ref=item.offer_ref,
            quantity=item.quantity,
            position=index,
        )
        for index, item in enumerate(view.items)
    ]
    order.events = [OrderEvent(from_state=None, to_state=PLACED, actor="shopper")]
    return order


def _hold_locker(desk: CheckoutDesk, order_id: str, details: CheckoutDetails) -> None:
    with desk.session_factory() as session:
        order = session.get(Order, order_id)
        assert order is not None
        items = sum(line.quantity for line in order.lines)
        try:
            lockers.reserve_compartment(
                db_session=session,
                site_id=details.locker_site_id,
                size=parcel_size(items),
                order_ref=order_id,
                recipient=details.email or details.phone,
                policy=desk.locker_policy,
                language=order.language,
                order_path=f"/orders/{order.tracking_token}",
            )
        except LockerError as error:
            cancel_placed(desk, order_id, f"locker unavailable: {error}")
            raise CheckoutRefused(
                "this parcel locker has just become full: please choose another one"
            ) from error


def _charge(desk: CheckoutDesk, order_id: str, card: CardDetails) -> CheckoutOutcome:
    """Attempt recorded, charge outside any transaction, answer settled."""
    request = record_attempt(desk, order_id, card)
    if request is None:  # settled or cancelled meanwhile (a retry, the reconciler)
        return outcome_of(desk, order_id)
    desk.checkpoint("attempt_recorded")
    try:
        result = desk.gateway.charge(request)
    except GatewayUnavailable:
        return outcome_of(desk, order_id, message=CONFIRMING)  # the reconciler will ask later
    desk.checkpoint("charged")
    outcome = settle(desk, order_id, result, actor=f"payment:{desk.gateway.name}")
    desk.checkpoint("settled")
    return outcome

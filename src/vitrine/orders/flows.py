"""Checkout across capabilities: order, stock, locker hold, payment and notification.

Each step commits before the next talks to the outside (the locker desk, the payment gateway),
so a crash leaves a placed order to retry or cancel, never a charge without an order. The
shopper's idempotency key is unique in the database: a double click or a retried request
finds the first order and never charges twice.
"""

from __future__ import annotations

import contextlib
import secrets
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from vitrine.catalog import stock_service as stock
from vitrine.lockers import parcel_service as lockers
from vitrine.lockers.errors import LockerError
from vitrine.lockers.policy import LockerPolicy
from vitrine.notifications import service as outbox
from vitrine.orders import service as orders
from vitrine.orders.contact import CheckoutDetails, validate_details
from vitrine.orders.models import Order, OrderEvent, OrderLine, Payment
from vitrine.orders.offers import OfferUnavailable
from vitrine.orders.parcels import parcel_size
from vitrine.orders.payments import CardDetails, ChargeRequest, ChargeResult, PaymentGateway
from vitrine.orders.states import CANCELLED, PAID, PLACED, REFUNDED


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


class CheckoutRefused(ValueError):
    """The checkout cannot go ahead (the message is for the shopper; the cart is kept)."""


@dataclass(frozen=True)
class CheckoutOutcome:
    tracking_token: str
    state: str
    paid: bool
    message: str = ""
    replayed: bool = False


@dataclass(frozen=True)
class CheckoutRequest:
    cart_id: str
    details: CheckoutDetails
    card: CardDetails
    idempotency_key: str
    showroom_id: str | None = None


@dataclass(frozen=True)
class CheckoutDesk:
    """What a checkout needs from the installation."""

    session_factory: sessionmaker[Session]
    gateway: PaymentGateway
    locker_policy: LockerPolicy
    offers: OfferDesk = field(default_factory=NoOffers)


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
    result = _charge(desk, order_id, request.card)
    return _settle(desk, order_id, result, request.cart_id)


def _earlier_outcome(desk: CheckoutDesk, key: str) -> CheckoutOutcome | None:
    with desk.session_factory() as session:
        order = orders.get_order_by_idempotency_key(db_session=session, key=key)
        if order is None:
            return None
        return CheckoutOutcome(
            order.tracking_token, order.state, order.state not in (PLACED, CANCELLED), replayed=True
        )


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
            )
        except LockerError as error:
            _cancel(desk, order_id, f"locker unavailable: {error}")
            raise CheckoutRefused(
                "this parcel locker has just become full: please choose another one"
            ) from error


def _charge(desk: CheckoutDesk, order_id: str, card: CardDetails) -> ChargeResult:
    with desk.session_factory() as session:
        order = session.get(Order, order_id)
        assert order is not None
        request = ChargeRequest(
            order.total_minor,
            order.currency,
            card,
            f"order-{order.id}",
            f"Vitrine order {order.id[:8]}",
        )
    return desk.gateway.charge(request)


def _settle(
    desk: CheckoutDesk, order_id: str, result: ChargeResult, cart_id: str
) -> CheckoutOutcome:
    with desk.session_factory() as session, session.begin():
        order = session.get(Order, order_id)
        assert order is not None
        order.payments.append(_payment_row(desk, order, result))
        if result.succeeded:
            orders.move_order(
                db_session=session, order=order, target=PAID, actor=f"payment:{desk.gateway.name}"
            )
            orders.empty_cart(db_session=session, cart_id=cart_id)
            _announce_confirmation(session, order)
        token, locker = order.tracking_token, order.delivery_method == "locker"
    if not result.succeeded:
        _cancel(desk, order_id, f"payment declined: {result.decline_code}")
        return CheckoutOutcome(token, CANCELLED, False, result.message)
    if locker:
        try:
            with desk.session_factory() as session:
                lockers.confirm_reservation(
                    db_session=session, order_ref=order_id, policy=desk.locker_policy
                )
        except LockerError as error:
            return _refund_unlockered(desk, order_id, result, str(error), token)
    return CheckoutOutcome(token, PAID, True)


def _refund_unlockered(
    desk: CheckoutDesk, order_id: str, result: ChargeResult, reason: str, token: str
) -> CheckoutOutcome:
    """The hold lapsed before the payment landed and the site filled up: refund in full."""
    with desk.session_factory() as session, session.begin():
        order = session.get(Order, order_id)
        assert order is not None
        desk.gateway.refund(result.gateway_reference, order.total_minor, f"refund-{order.id}")
        orders.move_order(
            db_session=session,
            order=order,
            target=REFUNDED,
            actor="checkout",
            note=f"locker full after payment: {reason}",
        )
        for line in order.lines:
            release_line(desk, session, line)
    message = "The parcel locker filled up while you paid: you have been refunded in full."
    return CheckoutOutcome(token, REFUNDED, False, message)


def _payment_row(desk: CheckoutDesk, order: Order, result: ChargeResult) -> Payment:
    return Payment(
        gateway=desk.gateway.name,
        gateway_reference=result.gateway_reference,
        idempotency_key=f"order-{order.id}-{len(order.payments)}",
        amount_minor=order.total_minor,
        currency=order.currency,
        status="captured" if result.succeeded else "declined",
        decline_code=result.decline_code,
    )


def _cancel(desk: CheckoutDesk, order_id: str, note: str) -> None:
    """Cancel a placed order: its stock and any locker hold go back."""
    with desk.session_factory() as session, session.begin():
        order = session.get(Order, order_id)
        assert order is not None
        if order.state != PLACED:
            return
        orders.move_order(
            db_session=session, order=order, target=CANCELLED, actor="checkout", note=note
        )
        for line in order.lines:
            release_line(desk, session, line)
    # No hold to give back after a home delivery order or a failed hold: nothing to do then.
    with desk.session_factory() as session, contextlib.suppress(LockerError):
        lockers.cancel_reservation(db_session=session, order_ref=order_id)


def release_line(desk: CheckoutDesk, session: Session, line: OrderLine) -> None:
    stock.release(db_session=session, variant_id=line.variant_id, quantity=line.quantity)
    if line.offer_ref:
        desk.offers.release(db_session=session, offer_ref=line.offer_ref, quantity=line.quantity)


def _announce_confirmation(session: Session, order: Order) -> None:
    lines = "\n".join(
        f"- {line.quantity} x {line.product_name} {line.variant_label}" for line in order.lines
    )
    outbox.enqueue(
        db_session=session,
        channel="email" if order.email else "sms",
        recipient=order.email or order.phone,
        subject="Your Vitrine order is confirmed",
        body=f"Thank you! We have your order:\n{lines}\nTrack it: /orders/{order.tracking_token}",
    )

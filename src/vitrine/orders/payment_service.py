"""Payment attempts: recorded before the gateway is asked, settled after, in short transactions.

The order of steps is what makes a crash at any line repairable (STYLE.md's rule):
1. the attempt (`pending`, with the key the gateway will get) is committed before the charge;
2. the charge runs outside any transaction;
3. settling claims the attempt with a conditional UPDATE (`pending` -> `captured`/`declined`)
   and moves the order with another, so a checkout, a retry and the reconciler settling the
   same order at once agree on one outcome. A charge that lands on an order already cancelled
   (the reconciler gave up on it) is refunded at once.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from vitrine.catalog import stock_service as stock
from vitrine.db import utc_now
from vitrine.lockers import parcel_service as lockers
from vitrine.lockers.errors import LockerError
from vitrine.lockers.states import ParcelState
from vitrine.notifications import service as outbox
from vitrine.orders import service as orders
from vitrine.orders.models import Order, OrderEvent, OrderLine, Payment
from vitrine.orders.outcomes import CheckoutOutcome
from vitrine.orders.payments import ChargeRequest, ChargeResult
from vitrine.orders.states import CANCELLED, PAID, PLACED, REFUNDED

LOCKER_REFUNDED = "The parcel locker filled up while you paid: you have been refunded in full."

if TYPE_CHECKING:
    from vitrine.orders.flows import CheckoutDesk
    from vitrine.orders.payments import CardDetails


def gateway_key(order_id: str) -> str:
    """The idempotency key the gateway gets for an order's charge (one charge per order)."""
    return f"order-{order_id}"


def record_attempt(desk: CheckoutDesk, order_id: str, card: CardDetails) -> ChargeRequest | None:
    """Commit a `pending` attempt; the charge request to send, or None if the order moved on."""
    with desk.session_factory() as session, session.begin():
        order = session.get(Order, order_id)
        if order is None or order.state != PLACED:
            return None
        key = gateway_key(order.id)
        request = ChargeRequest(
            order.total_minor, order.currency, card, key, f"Vitrine order {order.id[:8]}"
        )
        if session.scalar(select(Payment.id).where(Payment.idempotency_key == key)) is None:
            session.add(_attempt(desk, order, key))
    return request


def _attempt(desk: CheckoutDesk, order: Order, key: str) -> Payment:
    return Payment(
        order_id=order.id,
        gateway=desk.gateway.name,
        gateway_reference="",
        idempotency_key=key,
        amount_minor=order.total_minor,
        currency=order.currency,
        status="pending",
    )


def settle(
    desk: CheckoutDesk, order_id: str, result: ChargeResult, *, actor: str, note: str = ""
) -> CheckoutOutcome:
    """Record the gateway's answer for the order's key and move the order accordingly."""
    try:
        late_charge, locker = _settle_in_database(desk, order_id, result, actor, note)
    except IntegrityError:  # a concurrent settle inserted the attempt row first
        late_charge, locker = False, False
    message = "" if result.succeeded else result.message
    if late_charge:
        _refund_late_charge(desk, order_id, result)
    elif locker and result.succeeded:
        try:
            _confirm_locker(desk, order_id, result)
        except _LockerLost:
            message = LOCKER_REFUNDED
    return outcome_of(desk, order_id, message=message)


def _settle_in_database(
    desk: CheckoutDesk, order_id: str, result: ChargeResult, actor: str, note: str
) -> tuple[bool, bool]:
    """(a charge arrived for an order no longer placed, a locker order just paid)."""
    with desk.session_factory() as session, session.begin():
        order = session.get(Order, order_id)
        assert order is not None
        if not _claim_attempt(session, desk, order, result):
            return False, False
        if not result.succeeded:
            _cancel_in(
                desk, session, order, actor, note or f"payment declined: {result.decline_code}"
            )
            paid = False
        else:
            paid = orders.move_order_from(
                db_session=session,
                order=order,
                expected=PLACED,
                target=PAID,
                actor=actor,
                note=note,
            )
            if paid:
                if order.cart_id:
                    orders.empty_cart(db_session=session, cart_id=order.cart_id)
                announce_confirmation(session, order)
        locker = order.delivery_method == "locker"
    if not result.succeeded:
        _cancel_locker(desk, order_id)
    return result.succeeded and not paid, locker and paid


def _claim_attempt(
    session: Session, desk: CheckoutDesk, order: Order, result: ChargeResult
) -> bool:
    """pending -> the gateway's answer, if nobody settled this attempt yet."""
    key = gateway_key(order.id)
    if session.scalar(select(Payment.id).where(Payment.idempotency_key == key)) is None:
        session.add(_attempt(desk, order, key))  # an order placed before attempts were recorded
        session.flush()
    claimed = session.execute(
        update(Payment)
        .where(Payment.idempotency_key == key, Payment.status == "pending")
        .values(
            status="captured" if result.succeeded else "declined",
            gateway_reference=result.gateway_reference,
            decline_code=result.decline_code,
            settled_at=utc_now(),
        )
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult[Any], claimed).rowcount == 1:
        return True
    # Settled already, or abandoned by the reconciler: a charge arriving now must be given back.
    status = session.scalar(select(Payment.status).where(Payment.idempotency_key == key))
    return status == "abandoned" and result.succeeded and _reopen_abandoned(session, key, result)


def _reopen_abandoned(session: Session, key: str, result: ChargeResult) -> bool:
    session.execute(
        update(Payment)
        .where(Payment.idempotency_key == key, Payment.status == "abandoned")
        .values(status="captured", gateway_reference=result.gateway_reference, settled_at=utc_now())
        .execution_options(synchronize_session=False)
    )
    return True


def _refund_late_charge(desk: CheckoutDesk, order_id: str, result: ChargeResult) -> None:
    """The gateway charged an order that had been cancelled meanwhile: give the money back."""
    with desk.session_factory() as session, session.begin():
        order = session.get(Order, order_id)
        assert order is not None
        payment = session.scalar(
            select(Payment).where(Payment.idempotency_key == gateway_key(order.id))
        )
        assert payment is not None
        desk.gateway.refund(result.gateway_reference, payment.amount_minor, f"refund-{payment.id}")
        payment.status = "refunded"
        order.events.append(
            OrderEvent(
                from_state=order.state,
                to_state=order.state,
                actor="checkout",
                note=f"a charge arrived after the order was {order.state}: refunded in full",
            )
        )


class _LockerLost(Exception):
    pass


def _confirm_locker(desk: CheckoutDesk, order_id: str, result: ChargeResult) -> None:
    try:
        with desk.session_factory() as session:
            lockers.confirm_reservation(
                db_session=session, order_ref=order_id, policy=desk.locker_policy
            )
    except LockerError as error:
        refund_unlockered(desk, order_id, result.gateway_reference, str(error))
        raise _LockerLost from error


def confirm_paid_locker(desk: CheckoutDesk, order_id: str) -> bool:
    """A paid locker order keeps a compartment (the checkout may have died before it did)."""
    with desk.session_factory() as session:
        parcel = lockers.active_parcel(db_session=session, order_ref=order_id)
        if parcel is not None and parcel.state != ParcelState.RESERVED:
            return False
        reference = session.scalar(
            select(Payment.gateway_reference).where(
                Payment.order_id == order_id, Payment.status == "captured"
            )
        )
    with contextlib.suppress(_LockerLost):
        _confirm_locker(desk, order_id, ChargeResult(True, reference or ""))
    return True


def refund_unlockered(desk: CheckoutDesk, order_id: str, reference: str, reason: str) -> None:
    """The hold lapsed before the payment landed and the site filled up: refund in full."""
    with desk.session_factory() as session, session.begin():
        order = session.get(Order, order_id)
        assert order is not None
        if not orders.move_order_from(
            db_session=session,
            order=order,
            expected=PAID,
            target=REFUNDED,
            actor="checkout",
            note=f"locker full after payment: {reason}",
        ):
            return
        desk.gateway.refund(reference, order.total_minor, f"refund-{order.id}")
        for payment in order.payments:
            if payment.status == "captured":
                payment.status = "refunded"
        for line in order.lines:
            release_line(desk, session, line)


def abandon(desk: CheckoutDesk, order_id: str, *, actor: str, note: str) -> bool:
    """The gateway never charged this order: cancel it, give back its stock and locker hold."""
    with desk.session_factory() as session, session.begin():
        order = session.get(Order, order_id)
        assert order is not None
        key = gateway_key(order.id)
        session.execute(
            update(Payment)
            .where(Payment.idempotency_key == key, Payment.status == "pending")
            .values(status="abandoned", settled_at=utc_now())
            .execution_options(synchronize_session=False)
        )
        status = session.scalar(select(Payment.status).where(Payment.idempotency_key == key))
        if status not in (None, "abandoned"):
            return False  # settled meanwhile by the checkout itself
        cancelled = _cancel_in(desk, session, order, actor, note)
    if cancelled:
        _cancel_locker(desk, order_id)
    return cancelled


def cancel_placed(desk: CheckoutDesk, order_id: str, note: str, actor: str = "checkout") -> None:
    """Cancel a placed order: its stock and any locker hold go back."""
    with desk.session_factory() as session, session.begin():
        order = session.get(Order, order_id)
        assert order is not None
        _cancel_in(desk, session, order, actor, note)
    _cancel_locker(desk, order_id)


def _cancel_in(desk: CheckoutDesk, session: Session, order: Order, actor: str, note: str) -> bool:
    if not orders.move_order_from(
        db_session=session, order=order, expected=PLACED, target=CANCELLED, actor=actor, note=note
    ):
        return False
    for line in order.lines:
        release_line(desk, session, line)
    return True


def _cancel_locker(desk: CheckoutDesk, order_id: str) -> None:
    # No hold to give back after a home delivery order or a failed hold: nothing to do then.
    with desk.session_factory() as session, contextlib.suppress(LockerError):
        lockers.cancel_reservation(db_session=session, order_ref=order_id)


def release_line(desk: CheckoutDesk, session: Session, line: OrderLine) -> None:
    stock.release(db_session=session, variant_id=line.variant_id, quantity=line.quantity)
    if line.offer_ref:
        desk.offers.release(db_session=session, offer_ref=line.offer_ref, quantity=line.quantity)


def outcome_of(
    desk: CheckoutDesk, order_id: str, *, message: str = "", replayed: bool = False
) -> CheckoutOutcome:
    with desk.session_factory() as session:
        order = session.get(Order, order_id)
        assert order is not None
        paid = order.state not in (PLACED, CANCELLED, REFUNDED)
        return CheckoutOutcome(order.tracking_token, order.state, paid, message, replayed)


def announce_confirmation(session: Session, order: Order) -> None:
    lines = [
        f"{line.quantity} x {line.product_name} {line.variant_label}".strip()
        for line in order.lines
    ]
    outbox.enqueue(
        db_session=session,
        recipient=order.email or order.phone,
        kind="order_confirmed",
        language=order.language,
        params={"lines": lines, "path": f"/orders/{order.tracking_token}"},
    )

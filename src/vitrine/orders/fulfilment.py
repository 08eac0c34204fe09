"""Fulfilment: operators move orders on; locker orders follow their parcel's state."""

from __future__ import annotations

from vitrine.lockers import parcel_service as lockers
from vitrine.lockers.errors import LockerError
from vitrine.notifications import service as outbox
from vitrine.notifications.messages import ORDER_STATE_TEXTS
from vitrine.orders import service as orders
from vitrine.orders.flows import CheckoutDesk, CheckoutRefused, release_line
from vitrine.orders.models import Order
from vitrine.orders.states import (
    CANCELLED,
    PACKED,
    PAID,
    PICKED_UP,
    PLACED,
    READY_FOR_PICKUP,
    REFUNDED,
    RETURNED,
    SHIPPED,
)

# A parcel's locker state and the order state it means.
LOCKER_TO_ORDER = {
    "deposited": READY_FOR_PICKUP,
    "collected": PICKED_UP,
    "return_to_sender": RETURNED,
    "returned": RETURNED,
}
PATH_TO_PICKUP = (PACKED, SHIPPED, READY_FOR_PICKUP, PICKED_UP)


def advance(*, desk: CheckoutDesk, order_id: str, target: str, actor: str, note: str = "") -> None:
    """Move an order on (IllegalTransition if not allowed), with its refund, stock and message."""
    with desk.session_factory() as session, session.begin():
        order = session.get(Order, order_id)
        if order is None:
            raise CheckoutRefused("no such order")
        before = order.state
        orders.move_order(db_session=session, order=order, target=target, actor=actor, note=note)
        if target == REFUNDED:
            captured = [p for p in order.payments if p.status == "captured"]
            for payment in captured:
                desk.gateway.refund(
                    payment.gateway_reference, payment.amount_minor, f"refund-{payment.id}"
                )
                payment.status = "refunded"
        if target in (CANCELLED, REFUNDED) and before in (PLACED, PAID, PACKED):
            for line in order.lines:
                release_line(desk, session, line)
        if target in ORDER_STATE_TEXTS:
            outbox.enqueue(
                db_session=session,
                recipient=order.email or order.phone,
                kind="order_moved",
                language=order.language,
                params={"state": target, "path": f"/orders/{order.tracking_token}"},
            )


def follow_locker(*, desk: CheckoutDesk, order_id: str) -> None:
    """Bring a locker order's state in line with its parcel (deposited, collected, returned)."""
    with desk.session_factory() as session, session.begin():
        order = session.get(Order, order_id)
        if (
            order is None
            or order.delivery_method != "locker"
            or order.state in (PLACED, CANCELLED, REFUNDED)
        ):
            return
        try:
            parcel = lockers.parcel_status(db_session=session, order_ref=order.id)
        except LockerError:
            return
        wanted = LOCKER_TO_ORDER.get(parcel.state)
        if wanted is None or wanted == order.state:
            return
        for step in _steps_towards(order.state, wanted):
            orders.move_order(db_session=session, order=order, target=step, actor="locker")


def _steps_towards(current: str, wanted: str) -> list[str]:
    if wanted == RETURNED:
        return (
            [*_steps_towards(current, READY_FOR_PICKUP), RETURNED]
            if current != READY_FOR_PICKUP
            else [RETURNED]
        )
    if current not in (PAID, *PATH_TO_PICKUP) or wanted not in PATH_TO_PICKUP:
        return []
    start = PATH_TO_PICKUP.index(current) + 1 if current != PAID else 0
    return list(PATH_TO_PICKUP[start : PATH_TO_PICKUP.index(wanted) + 1])

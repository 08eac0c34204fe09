"""The checkout reconciler: orders a crash left in "placed" are completed or cancelled.

An order still "placed" after `desk.stale_after` lost its checkout somewhere between placing
it and settling its payment. The gateway is asked, by the order's idempotency key, whether it
charged: charged -> the order is paid (payment row, cart emptied, confirmation sent);
declined -> cancelled; never charged -> cancelled, its stock and locker hold released. Each
recovery is an event in the order's history (actor `reconciler`). A retry of the shopper's
idempotency key takes the same path, so it never answers "placed" forever.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from vitrine.db import utc_now
from vitrine.orders.models import Order, Payment
from vitrine.orders.outcomes import CONFIRMING, CheckoutOutcome
from vitrine.orders.payment_service import (
    abandon,
    confirm_paid_locker,
    gateway_key,
    outcome_of,
    settle,
)
from vitrine.orders.payments import GatewayUnavailable
from vitrine.orders.states import PAID, PLACED

if TYPE_CHECKING:
    from vitrine.orders.flows import CheckoutDesk

RECONCILER = "reconciler"


@dataclass(frozen=True)
class Reconciliation:
    completed: int  # charged at the gateway: now paid
    cancelled: int  # declined or never charged: stock and locker released
    waiting: int  # the gateway did not answer: asked again next run
    lockers_confirmed: int  # paid locker orders whose compartment hold was not confirmed


def recover_order(
    desk: CheckoutDesk, order_id: str, *, now: datetime | None = None, replayed: bool = False
) -> CheckoutOutcome:
    """Settle a placed order from what the gateway knows; recent, uncharged ones are left."""
    now = now or utc_now()
    last_step = _last_step_at(desk, order_id)
    if last_step is None:  # no longer placed
        return outcome_of(desk, order_id, replayed=replayed)
    key = gateway_key(order_id)
    try:
        charge = desk.gateway.find_charge(key)
    except GatewayUnavailable:
        return outcome_of(desk, order_id, message=CONFIRMING, replayed=replayed)
    if charge is not None:
        verdict = "charged" if charge.succeeded else f"declined ({charge.decline_code})"
        note = f"recovered after an interrupted checkout: the gateway had {verdict} this order"
        outcome = settle(desk, order_id, charge, actor=RECONCILER, note=note)
        return CheckoutOutcome(
            outcome.tracking_token, outcome.state, outcome.paid, outcome.message, replayed
        )
    if last_step > now - desk.stale_after:  # its checkout may still be running
        return outcome_of(desk, order_id, message=CONFIRMING, replayed=replayed)
    note = (
        "recovered after an interrupted checkout: the gateway never charged this order; "
        "stock and locker hold released"
    )
    abandon(desk, order_id, actor=RECONCILER, note=note)
    return outcome_of(desk, order_id, replayed=replayed)


def _last_step_at(desk: CheckoutDesk, order_id: str) -> datetime | None:
    """When the order's checkout last did something (placed it, or recorded its attempt)."""
    with desk.session_factory() as session:
        order = session.get(Order, order_id)
        if order is None or order.state != PLACED:
            return None
        attempted = session.scalar(
            select(func.max(Payment.created_at)).where(Payment.order_id == order_id)
        )
        return max(order.created_at, attempted) if attempted else order.created_at


def reconcile(desk: CheckoutDesk, *, now: datetime | None = None) -> Reconciliation:
    """The periodic job: idempotent, safe to run twice at once (settling is conditional)."""
    now = now or utc_now()
    with desk.session_factory() as session:
        stale = list(
            session.scalars(
                select(Order.id)
                .where(Order.state == PLACED, Order.created_at <= now - desk.stale_after)
                .order_by(Order.created_at)
            )
        )
        paid_lockers = list(
            session.scalars(
                select(Order.id).where(Order.state == PAID, Order.delivery_method == "locker")
            )
        )
    states = [recover_order(desk, order_id, now=now).state for order_id in stale]
    confirmed = sum(confirm_paid_locker(desk, order_id) for order_id in paid_lockers)
    return Reconciliation(
        completed=sum(state == PAID for state in states),
        cancelled=sum(state not in (PAID, PLACED) for state in states),
        waiting=states.count(PLACED),
        lockers_confirmed=confirmed,
    )

"""The order state machine: which state may follow which, and who may move it."""

from __future__ import annotations

PLACED = "placed"
PAID = "paid"
PACKED = "packed"
SHIPPED = "shipped"
DELIVERED = "delivered"
READY_FOR_PICKUP = "ready_for_pickup"
PICKED_UP = "picked_up"
CANCELLED = "cancelled"
REFUNDED = "refunded"
RETURNED = "returned_to_sender"

ALL_STATES = (
    PLACED,
    PAID,
    PACKED,
    SHIPPED,
    DELIVERED,
    READY_FOR_PICKUP,
    PICKED_UP,
    CANCELLED,
    REFUNDED,
    RETURNED,
)

TRANSITIONS: dict[str, frozenset[str]] = {
    PLACED: frozenset({PAID, CANCELLED}),
    PAID: frozenset({PACKED, CANCELLED, REFUNDED}),
    PACKED: frozenset({SHIPPED, CANCELLED, REFUNDED}),
    SHIPPED: frozenset({DELIVERED, READY_FOR_PICKUP}),
    READY_FOR_PICKUP: frozenset({PICKED_UP, RETURNED}),
    DELIVERED: frozenset({REFUNDED}),
    PICKED_UP: frozenset({REFUNDED}),
    RETURNED: frozenset({REFUNDED}),
    CANCELLED: frozenset(),
    REFUNDED: frozenset(),
}

# The happy paths a tracking page draws as steps.
HOME_PATH = (PLACED, PAID, PACKED, SHIPPED, DELIVERED)
LOCKER_PATH = (PLACED, PAID, PACKED, SHIPPED, READY_FOR_PICKUP, PICKED_UP)


class IllegalTransition(ValueError):
    """An order cannot go from its state to the requested one."""


def check_transition(current: str, target: str) -> None:
    if target not in TRANSITIONS.get(current, frozenset()):
        raise IllegalTransition(f"an order that is {current} cannot become {target}")


def journey(delivery_method: str) -> tuple[str, ...]:
    return LOCKER_PATH if delivery_method == "locker" else HOME_PATH

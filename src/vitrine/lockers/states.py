"""The compartment and parcel state machines: which event moves which state where."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class CompartmentState(StrEnum):
    FREE = "free"
    RESERVED = "reserved"
    OCCUPIED = "occupied"
    OUT_OF_SERVICE = "out_of_service"


class ParcelState(StrEnum):
    RESERVED = "reserved"  # a compartment is held for an unpaid order until reserved_until
    AWAITING_DELIVERY = "awaiting_delivery"  # paid: the compartment is held until the courier
    DEPOSITED = "deposited"  # in its compartment, the pickup code is valid
    COLLECTED = "collected"
    RETURN_TO_SENDER = "return_to_sender"  # uncollected in time, waiting for a courier
    RETURNED = "returned"  # a courier took it out of the locker
    CANCELLED = "cancelled"  # the order was not paid in time or was cancelled


class InvalidTransition(ValueError):
    """An event that is not allowed in the current state."""


@dataclass(frozen=True)
class Transition:
    sources: tuple[str, ...]
    target: str


C, P = CompartmentState, ParcelState

COMPARTMENT_EVENTS: dict[str, Transition] = {
    "reserve": Transition((C.FREE,), C.RESERVED),
    "release": Transition((C.RESERVED,), C.FREE),
    "fill_reserved": Transition((C.RESERVED,), C.OCCUPIED),
    "fill": Transition((C.FREE,), C.OCCUPIED),
    "empty": Transition((C.OCCUPIED,), C.FREE),
    "take_out_of_service": Transition((C.FREE,), C.OUT_OF_SERVICE),
    "return_to_service": Transition((C.OUT_OF_SERVICE,), C.FREE),
}

PARCEL_EVENTS: dict[str, Transition] = {
    "confirm": Transition((P.RESERVED,), P.AWAITING_DELIVERY),
    "cancel": Transition((P.RESERVED, P.AWAITING_DELIVERY), P.CANCELLED),
    "expire_reservation": Transition((P.RESERVED,), P.CANCELLED),
    "deposit": Transition((P.AWAITING_DELIVERY,), P.DEPOSITED),
    "collect": Transition((P.DEPOSITED,), P.COLLECTED),
    "expire": Transition((P.DEPOSITED,), P.RETURN_TO_SENDER),
    "remove_return": Transition((P.RETURN_TO_SENDER,), P.RETURNED),
}

# Parcels that hold a compartment (reserved or occupied) and so count against a site's room.
ACTIVE_PARCEL_STATES = (P.RESERVED, P.AWAITING_DELIVERY, P.DEPOSITED, P.RETURN_TO_SENDER)


def compartment_transition(event: str) -> Transition:
    return COMPARTMENT_EVENTS[event]


def parcel_transition(event: str) -> Transition:
    return PARCEL_EVENTS[event]


def next_compartment_state(state: str, event: str) -> CompartmentState:
    return CompartmentState(_apply(COMPARTMENT_EVENTS, state, event, "compartment"))


def next_parcel_state(state: str, event: str) -> ParcelState:
    return ParcelState(_apply(PARCEL_EVENTS, state, event, "parcel"))


def _apply(events: dict[str, Transition], state: str, event: str, what: str) -> str:
    transition = events.get(event)
    if transition is None:
        raise InvalidTransition(f"unknown {what} event {event!r}")
    if state not in transition.sources:
        raise InvalidTransition(f"a {what} that is {state} cannot {event.replace('_', ' ')}")
    return transition.target

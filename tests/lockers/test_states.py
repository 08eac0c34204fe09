"""The compartment and parcel state machines allow exactly the documented moves."""

from __future__ import annotations

import pytest

from vitrine.lockers.states import (
    COMPARTMENT_EVENTS,
    CompartmentState,
    InvalidTransition,
    ParcelState,
    next_compartment_state,
    next_parcel_state,
)

ALLOWED_COMPARTMENT_MOVES = {
    ("free", "reserve"): "reserved",
    ("free", "fill"): "occupied",
    ("free", "take_out_of_service"): "out_of_service",
    ("reserved", "release"): "free",
    ("reserved", "fill_reserved"): "occupied",
    ("occupied", "empty"): "free",
    ("out_of_service", "return_to_service"): "free",
}


@pytest.mark.parametrize("state", list(CompartmentState))
@pytest.mark.parametrize("event", list(COMPARTMENT_EVENTS))
def test_every_compartment_state_and_event(state: CompartmentState, event: str) -> None:
    expected = ALLOWED_COMPARTMENT_MOVES.get((state.value, event))
    if expected is None:
        with pytest.raises(InvalidTransition):
            next_compartment_state(state, event)
    else:
        assert next_compartment_state(state, event) == expected


def test_an_occupied_compartment_cannot_go_out_of_service_or_be_reserved() -> None:
    with pytest.raises(InvalidTransition, match="occupied cannot take out of service"):
        next_compartment_state("occupied", "take_out_of_service")
    with pytest.raises(InvalidTransition):
        next_compartment_state("occupied", "reserve")


def test_a_parcel_goes_from_reservation_to_pickup_or_return() -> None:
    state = ParcelState.RESERVED
    for event in ["confirm", "deposit", "collect"]:
        state = next_parcel_state(state, event)
    assert state == ParcelState.COLLECTED
    assert next_parcel_state("deposited", "expire") == ParcelState.RETURN_TO_SENDER
    assert next_parcel_state("return_to_sender", "remove_return") == ParcelState.RETURNED


def test_a_collected_parcel_cannot_be_collected_again_nor_an_unpaid_one_deposited() -> None:
    with pytest.raises(InvalidTransition):
        next_parcel_state("collected", "collect")
    with pytest.raises(InvalidTransition):
        next_parcel_state("reserved", "deposit")
    with pytest.raises(InvalidTransition, match="unknown parcel event"):
        next_parcel_state("reserved", "teleport")

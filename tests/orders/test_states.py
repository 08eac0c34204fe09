"""The order state machine allows the documented journeys and refuses everything else."""

from __future__ import annotations

import itertools

import pytest

from vitrine.orders.states import (
    ALL_STATES,
    HOME_PATH,
    LOCKER_PATH,
    TRANSITIONS,
    IllegalTransition,
    check_transition,
)


@pytest.mark.parametrize("path", [HOME_PATH, LOCKER_PATH], ids=["home", "locker"])
def test_the_happy_paths_are_allowed(path: tuple[str, ...]) -> None:
    for current, target in itertools.pairwise(path):
        check_transition(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [("placed", "shipped"), ("delivered", "placed"), ("cancelled", "paid"),
     ("refunded", "paid"), ("shipped", "cancelled"), ("paid", "picked_up")],
)  # fmt: skip
def test_illegal_transitions_are_refused(current: str, target: str) -> None:
    with pytest.raises(IllegalTransition, match=f"{current} cannot become {target}"):
        check_transition(current, target)


def test_every_state_has_its_transitions_listed() -> None:
    assert set(TRANSITIONS) == set(ALL_STATES)
    assert all(targets <= set(ALL_STATES) for targets in TRANSITIONS.values())

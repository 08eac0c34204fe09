"""The greedy + swap engine on sparse cost lists."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest

from vitrine.lockers.planning.interchange import (
    greedy_open,
    interchange,
    nearest_two,
    objective,
)
from vitrine.lockers.planning.neighbours import lists_from_matrix


def dense(seed: int, n: int = 30, m: int = 12) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    distance = np.linalg.norm(rng.uniform(0, 10, (n, 1, 2)) - rng.uniform(0, 10, (1, m, 2)), axis=2)
    return distance, rng.uniform(1, 3, n)


def test_nearest_two_matches_a_direct_computation() -> None:
    distance, weight = dense(1)
    is_open = np.zeros(12, bool)
    is_open[[2, 5, 9]] = True
    near = nearest_two(lists_from_matrix(distance, weight), is_open)
    opened = np.sort(distance[:, is_open], axis=1)
    assert np.allclose(near.d1, opened[:, 0])
    assert np.allclose(near.d2, opened[:, 1])
    assert np.all(np.flatnonzero(is_open)[np.argmin(distance[:, is_open], axis=1)] == near.c1)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_interchange_reaches_a_local_optimum_close_to_the_best(seed: int) -> None:
    distance, weight = dense(seed)
    lists = lists_from_matrix(distance, weight)
    fixed = np.zeros(12, bool)
    result = interchange(lists, greedy_open(lists, 3, fixed), fixed)
    best = min(float(weight @ distance[:, list(c)].min(axis=1)) for c in combinations(range(12), 3))
    assert result.finished
    assert int(result.is_open.sum()) == 3
    assert result.objective == pytest.approx(objective(lists, result.is_open))
    assert result.objective <= best * 1.05
    for close in np.flatnonzero(result.is_open):  # no single swap improves it
        for open_ in np.flatnonzero(~result.is_open):
            trial = result.is_open.copy()
            trial[close], trial[open_] = False, True
            assert objective(lists, trial) >= result.objective - 1e-9


def test_fixed_sites_are_never_swapped_out() -> None:
    distance, weight = dense(4)
    lists = lists_from_matrix(distance, weight)
    fixed = np.zeros(12, bool)
    fixed[[0, 1]] = True
    result = interchange(lists, greedy_open(lists, 4, fixed), fixed)
    assert result.is_open[[0, 1]].all()
    assert int(result.is_open.sum()) == 4

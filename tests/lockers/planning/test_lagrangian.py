"""Lagrangian bound and site fixing, checked against optima proven by brute force."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from vitrine.lockers.planning.interchange import greedy_open, interchange
from vitrine.lockers.planning.lagrangian import ListRelaxation, SiteCosts, lagrangian_bound
from vitrine.lockers.planning.lagrangian_tree import solve_by_tree
from vitrine.lockers.planning.neighbours import lists_from_matrix, nearest_lists
from vitrine.lockers.planning.pmedian import cost_of, solve_pmedian_exact

SEEDS = range(12)


def _instance(seed: int) -> tuple[NDArray[np.float64], NDArray[np.float64], int]:
    """Integer distances between 14 demand points and 11 sites in a square, integer weights."""
    rng = np.random.default_rng(seed)
    demand, sites = rng.uniform(0, 100, (14, 2)), rng.uniform(0, 100, (11, 2))
    distance = np.round(np.linalg.norm(demand[:, None] - sites[None], axis=2))
    return distance, rng.integers(1, 5, 14).astype(np.float64), int(rng.integers(2, 5))


def _optima(distance: NDArray[np.float64], weight: NDArray[np.float64], p: int) -> list[set[int]]:
    """Every optimal set of sites, by trying all of them."""
    costs = {
        c: float(weight @ distance[:, list(c)].min(axis=1)) for c in combinations(range(11), p)
    }
    best = min(costs.values())
    return [set(c) for c, v in costs.items() if v <= best + 1e-9]


def _mask(sites: set[int], m: int = 11) -> NDArray[np.bool_]:
    is_open = np.zeros(m, dtype=bool)
    is_open[list(sites)] = True
    return is_open


@pytest.mark.parametrize("seed", SEEDS)
def test_the_bound_never_exceeds_the_optimum_and_fixing_keeps_every_optimal_site(
    seed: int,
) -> None:
    distance, weight, p = _instance(seed)
    optima = _optima(distance, weight, p)
    optimum = cost_of(distance, weight, _mask(optima[0]))
    lists = lists_from_matrix(distance, weight)
    # The optimum itself as the incumbent is the hardest case for fixing: nothing may beat it.
    for relaxation in (ListRelaxation(lists), SiteCosts.from_matrix(distance, weight)):
        found = lagrangian_bound(relaxation, p, np.zeros(11, bool), upper=optimum, seconds=5)
        assert found.bound <= optimum + 1e-6
        for sites in optima:
            assert not found.closed[list(sites)].any()
            assert set(np.flatnonzero(found.opened)) <= sites


@pytest.mark.parametrize("seed", SEEDS)
def test_a_bound_from_nearest_lists_only_stays_below_the_optimum(seed: int) -> None:
    rng = np.random.default_rng(seed)
    demand, sites = rng.uniform(0, 1, (40, 3)), rng.uniform(0, 1, (11, 3))
    distance = np.linalg.norm(demand[:, None] - sites[None], axis=2)
    weight, p = np.ones(40), 2
    optimum = cost_of(distance, weight, _mask(_optima_any(distance, weight, p)))
    lists = nearest_lists(demand, weight, cKDTree(sites), 11, k=3)
    found = lagrangian_bound(
        ListRelaxation(lists), p, np.zeros(11, bool), upper=optimum * 1.05, seconds=5
    )
    assert 0 < found.bound <= optimum + 1e-9


def _optima_any(distance: NDArray[np.float64], weight: NDArray[np.float64], p: int) -> set[int]:
    m = distance.shape[1]
    return set(
        min(combinations(range(m), p), key=lambda c: weight @ distance[:, list(c)].min(axis=1))
    )


@pytest.mark.parametrize("seed", SEEDS)
def test_proven_results_reach_the_brute_force_optimum(seed: int) -> None:
    distance, weight, p = _instance(seed)
    optimum = cost_of(distance, weight, _mask(_optima(distance, weight, p)[0]))
    lists = lists_from_matrix(distance, weight)
    fixed = np.zeros(11, bool)
    start = interchange(lists, greedy_open(lists, p, fixed), fixed).is_open
    result = solve_pmedian_exact(distance, weight, p, start, seconds=30)
    assert result.optimal
    assert result.bound == result.objective == optimum
    assert result.gap == 0.0


def test_a_run_stopped_by_its_time_limit_is_not_proven_and_keeps_its_bound() -> None:
    distance, weight, p = _instance(3)
    optimum = cost_of(distance, weight, _mask(_optima(distance, weight, p)[0]))
    worst = max(combinations(range(11), p), key=lambda c: weight @ distance[:, list(c)].min(axis=1))
    result = solve_pmedian_exact(distance, weight, p, _mask(set(worst)), seconds=1e-9)
    assert not result.optimal
    assert result.bound < result.objective
    assert result.bound <= optimum
    assert result.gap == pytest.approx((result.objective - result.bound) / result.objective)


@pytest.mark.parametrize("seed", SEEDS)
def test_the_lagrangian_tree_finds_the_brute_force_optimum_from_a_bad_start(seed: int) -> None:
    distance, weight, p = _instance(seed)
    optimum = cost_of(distance, weight, _mask(_optima(distance, weight, p)[0]))
    worst = max(combinations(range(11), p), key=lambda c: weight @ distance[:, list(c)].min(axis=1))
    start, fixed = _mask(set(worst)), np.zeros(11, bool)
    costs = SiteCosts.from_matrix(distance, weight)
    u = lagrangian_bound(costs, p, fixed, cost_of(distance, weight, start), seconds=5).multipliers
    found = solve_by_tree(distance, weight, p, fixed, start, u, seconds=30, integral=True)
    assert found.finished
    assert found.objective == optimum
    assert int(found.is_open.sum()) == p


@pytest.mark.parametrize("seed", SEEDS)
def test_an_integral_run_stops_once_its_bound_rounds_up_to_the_incumbent(seed: int) -> None:
    distance, weight, p = _instance(seed)
    optimum = cost_of(distance, weight, _mask(_optima(distance, weight, p)[0]))
    costs = SiteCosts.from_matrix(distance, weight)
    fixed = np.zeros(11, bool)
    exact = lagrangian_bound(costs, p, fixed, upper=optimum, seconds=5)
    rounded = lagrangian_bound(costs, p, fixed, upper=optimum, seconds=5, integral=True)
    assert rounded.bound <= optimum + 1e-6
    assert rounded.iterations <= exact.iterations
    if exact.bound > optimum - 1.0 + 1e-6:  # the bound proves the optimum: so does the early stop
        assert np.ceil(rounded.bound - 1e-6) == optimum

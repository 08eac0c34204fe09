"""Lagrangian tree: node bounds, node fixing and proofs, against brute force and the textbook MIP.

The OR-Library-shaped instances are made here (a random connected graph with n*n/50 edges
of length 1-100, as pmed1-40 are built); their optimum comes from the textbook MIP.
"""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from vitrine.lockers.planning.interchange import greedy_open, interchange
from vitrine.lockers.planning.lagrangian import SiteCosts, lagrangian_bound
from vitrine.lockers.planning.lagrangian_heuristic import bound_and_improve
from vitrine.lockers.planning.lagrangian_tree import (
    _Incumbent,
    _relax,
    _Relaxed,
    solve_by_tree,
)
from vitrine.lockers.planning.mip import HighsSolver
from vitrine.lockers.planning.neighbours import lists_from_matrix
from vitrine.lockers.planning.orlib import read_orlib, solve_orlib_pmedian
from vitrine.lockers.planning.pmedian import cost_of
from vitrine.lockers.planning.textbook import solve_pmedian_textbook

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


def _instance(seed: int) -> tuple[FloatArray, FloatArray, int]:
    """Integer distances between 14 demand points and 11 sites, integer weights."""
    rng = np.random.default_rng(seed)
    demand, sites = rng.uniform(0, 100, (14, 2)), rng.uniform(0, 100, (11, 2))
    distance = np.round(np.linalg.norm(demand[:, None] - sites[None], axis=2))
    return distance, rng.integers(1, 5, 14).astype(np.float64), int(rng.integers(2, 5))


def _best_under(
    distance: FloatArray, weight: FloatArray, p: int, opened: BoolArray, closed: BoolArray
) -> tuple[float, list[set[int]]]:
    """The optimum with `opened` forced in and `closed` out, and every set reaching it."""
    allowed = [j for j in range(distance.shape[1]) if not closed[j]]
    costs = {
        c: float(weight @ distance[:, list(c)].min(axis=1))
        for c in combinations(allowed, p)
        if set(np.flatnonzero(opened)) <= set(c)
    }
    best = min(costs.values())
    return best, [set(c) for c, v in costs.items() if v <= best + 1e-9]


def _mask(sites: list[int], m: int = 11) -> BoolArray:
    mask = np.zeros(m, dtype=bool)
    mask[sites] = True
    return mask


@pytest.mark.parametrize("seed", range(10))
def test_a_node_bound_stays_below_the_best_solution_under_its_forcings(seed: int) -> None:
    distance, weight, p = _instance(seed)
    opened, closed = _mask([seed % 11]), _mask([(seed + 3) % 11, (seed + 5) % 11])
    best, optima = _best_under(distance, weight, p, opened, closed)
    costs = SiteCosts.from_matrix(distance, weight)
    # An incumbent 5 % above the node's optimum: the node is not pruned, and its fixing must
    # keep every solution that beats the incumbent (so the node's optimal ones).
    worst = max(combinations(range(11), p), key=lambda c: weight @ distance[:, list(c)].min(axis=1))
    incumbent = _Incumbent(costs, _mask(list(worst)), best * 1.05, integral=False)
    node = _Relaxed(-np.inf, costs.start(), opened, closed)
    relaxed = _relax(incumbent, costs, p, node, steps=15)
    if relaxed is None:  # pruned or solved: then it found a solution at the node's optimum
        assert incumbent.best_cost == pytest.approx(best)
        return
    assert (
        closed[list(range(11))].sum() + opened.sum() < relaxed.closed.sum() + relaxed.opened.sum()
    )
    assert relaxed.bound <= best + 1e-6
    for sites in optima:
        assert not relaxed.closed[list(sites)].any()
        assert set(np.flatnonzero(relaxed.opened)) <= sites


def test_a_restricted_matrix_gives_the_bound_of_the_full_one_with_those_sites_closed() -> None:
    distance, weight, p = _instance(4)
    costs = SiteCosts.from_matrix(distance, weight)
    closed = _mask([1, 6, 7])
    u = costs.start() * 1.3
    full = costs.step(u, p, np.zeros(11, bool), closed)
    small = costs.restrict(~closed)
    part = small.step(u, p, np.zeros(small.n_sites, bool))
    assert part.value == pytest.approx(full.value)
    assert set(small.sites[part.is_open]) == set(np.flatnonzero(full.is_open))


@pytest.mark.parametrize("seed", range(6))
def test_the_tree_with_forced_sites_finds_the_brute_force_optimum(seed: int) -> None:
    distance, weight, p = _instance(seed)
    fixed = _mask([seed % 11])
    best, _ = _best_under(distance, weight, p, fixed, np.zeros(11, bool))
    start = _mask([seed % 11, *[j for j in range(11) if j != seed % 11][: p - 1]])
    u = SiteCosts.from_matrix(distance, weight).start()
    found = solve_by_tree(distance, weight, p, fixed, start, u, seconds=30, integral=True)
    assert found.finished
    assert found.objective == found.bound == best
    assert found.is_open[seed % 11]


def test_a_tree_stopped_at_once_is_unfinished_and_its_bound_stays_below_the_optimum() -> None:
    distance, weight, p = _instance(2)
    best, _ = _best_under(distance, weight, p, np.zeros(11, bool), np.zeros(11, bool))
    start = _mask(list(range(p)))
    u = SiteCosts.from_matrix(distance, weight).start()
    found = solve_by_tree(distance, weight, p, np.zeros(11, bool), start, u, seconds=0.0)
    assert not found.finished
    assert found.bound <= best
    assert found.objective == cost_of(distance, weight, found.is_open)


@pytest.mark.parametrize("seed", range(8))
def test_the_lagrangian_heuristic_never_worsens_the_start_and_its_fixing_keeps_the_optima(
    seed: int,
) -> None:
    distance, weight, p = _instance(seed)
    best, optima = _best_under(distance, weight, p, np.zeros(11, bool), np.zeros(11, bool))
    worst = max(combinations(range(11), p), key=lambda c: weight @ distance[:, list(c)].min(axis=1))
    start = _mask(list(worst))
    found, lag = bound_and_improve(distance, weight, p, start, np.zeros(11, bool), seconds=5)
    assert best <= cost_of(distance, weight, found) <= cost_of(distance, weight, start)
    assert int(found.sum()) == p
    assert lag.bound <= best + 1e-6
    for sites in optima:
        assert not lag.closed[list(sites)].any()
        assert set(np.flatnonzero(lag.opened)) <= sites


def _orlib_like(n: int, p: int, seed: int) -> str:
    """A connected random graph in OR-Library p-median format, built like pmed1-40."""
    rng = np.random.default_rng(seed)
    edges = n * n // 50
    perm = rng.permutation(n) + 1
    tree = [(int(perm[k]), int(perm[rng.integers(0, k)])) for k in range(1, n)]
    extra = rng.integers(1, n + 1, size=(edges - len(tree), 2))
    lengths = rng.integers(1, 101, size=edges)
    pairs = tree + [(int(a), int(b)) for a, b in extra]
    lines = [f"{n} {edges} {p}"] + [
        f"{a} {b} {c}" for (a, b), c in zip(pairs, lengths, strict=True)
    ]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(("n", "p", "seed"), [(80, 6, 2), (100, 8, 31)])
def test_orlib_shaped_instances_bound_fixing_and_proof_agree_with_the_textbook_mip(
    tmp_path: Path, n: int, p: int, seed: int
) -> None:
    path = tmp_path / f"g{seed}.txt"
    path.write_text(_orlib_like(n, p, seed))
    instance = read_orlib(path)
    weight = np.ones(n)
    textbook = solve_pmedian_textbook(
        instance.distance, weight, p, solver=HighsSolver(), seconds=60
    )
    assert textbook.optimal
    optimum = textbook.objective
    lists = lists_from_matrix(instance.distance, weight)
    fixed = np.zeros(n, dtype=bool)
    start = interchange(lists, greedy_open(lists, p, fixed), fixed).is_open
    costs = SiteCosts.from_matrix(instance.distance, weight)
    lag = lagrangian_bound(costs, p, fixed, upper=optimum, seconds=5)
    assert lag.bound <= optimum + 1e-6
    assert not lag.closed[textbook.is_open].any()
    assert set(np.flatnonzero(lag.opened)) <= set(np.flatnonzero(textbook.is_open))
    ours = solve_orlib_pmedian(path, seconds=60)
    assert ours.proven
    assert ours.objective == ours.lower_bound == pytest.approx(optimum)
    assert cost_of(instance.distance, weight, start) >= optimum

"""Maximal covering: the MIP matches brute force, the heuristic engine gets the same coverage."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest
from scipy.spatial import cKDTree

from vitrine.lockers.planning.covering import (
    covered_weight,
    covering_upper_bound,
    solve_covering_exact,
)
from vitrine.lockers.planning.geo import to_xyz
from vitrine.lockers.planning.inputs import CandidateSites, DemandPoints
from vitrine.lockers.planning.interchange import greedy_open, interchange
from vitrine.lockers.planning.neighbours import radius_lists


@pytest.mark.parametrize("count", [1, 2, 3])
def test_covering_optimum_matches_brute_force(
    small_town: tuple[DemandPoints, CandidateSites], count: int
) -> None:
    demand, sites = small_town
    xyz = to_xyz(sites.lat, sites.lon)
    lists = radius_lists(
        to_xyz(demand.lat, demand.lon), demand.weight, cKDTree(xyz), len(sites), 400
    )
    best = 0.0
    for chosen in combinations(range(len(sites)), count):
        is_open = np.zeros(len(sites), bool)
        is_open[list(chosen)] = True
        best = max(best, covered_weight(lists, is_open))
    fixed = np.zeros(len(sites), bool)
    start = greedy_open(lists, count, fixed)
    found, proof = solve_covering_exact(lists, count, start, fixed)
    assert proof.optimal
    assert covered_weight(lists, found) == pytest.approx(best)
    searched = interchange(lists, start, fixed).is_open
    assert covered_weight(lists, searched) >= 0.9 * best


@pytest.mark.parametrize("count", [1, 2, 3])
def test_the_covering_upper_bound_never_falls_below_the_optimum(
    small_town: tuple[DemandPoints, CandidateSites], count: int
) -> None:
    demand, sites = small_town
    xyz = to_xyz(sites.lat, sites.lon)
    lists = radius_lists(
        to_xyz(demand.lat, demand.lon), demand.weight, cKDTree(xyz), len(sites), 400
    )
    fixed = np.zeros(len(sites), bool)
    found, proof = solve_covering_exact(lists, count, greedy_open(lists, count, fixed), fixed)
    optimum = covered_weight(lists, found)
    assert proof.optimal
    start = greedy_open(lists, count, fixed)
    upper = covering_upper_bound(lists, count, fixed, covered_weight(lists, start), seconds=5)
    assert optimum - 1e-6 <= upper <= lists.weight.sum()

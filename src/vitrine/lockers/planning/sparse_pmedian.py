"""p-median on inputs too large for a full matrix: k-nearest lists, corrected by true distances.

Each demand point lists only its k nearest candidates. A point none of whose listed sites is
open must still count what it really pays, else few sites spread over many towns look free:
the search starts with a country-wide penalty (so the greedy spreads sites), then repeatedly
sets each point's penalty to its true distance to the nearest open site beyond its list (one
KD-tree query) and searches again, while the true objective improves.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from vitrine.lockers.planning.geo import chord_to_metres
from vitrine.lockers.planning.interchange import greedy_open, interchange
from vitrine.lockers.planning.neighbours import nearest_lists

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True)
class SparseResult:
    """Open sites, their true weighted distance (metres), swaps made and correction rounds."""

    is_open: BoolArray
    objective: float
    swaps: int
    rounds: int
    finished: bool


def true_distances(demand_xyz: FloatArray, site_xyz: FloatArray, is_open: BoolArray) -> FloatArray:
    """Metres from each demand point to its nearest open site."""
    chord, _ = cKDTree(site_xyz[is_open]).query(demand_xyz)
    return chord_to_metres(np.asarray(chord))


def unlisted_distances(
    demand_xyz: FloatArray, site_xyz: FloatArray, is_open: BoolArray, floor: FloatArray, far: float
) -> FloatArray:
    """Metres to the nearest open site beyond each point's list (farther than its k-th site).

    That is what a point pays once every listed site is closed; `far` when none of the
    few nearest open sites is beyond the list.
    """
    opened = int(is_open.sum())
    reach = min(8, opened)
    chord, _ = cKDTree(site_xyz[is_open]).query(demand_xyz, k=reach)
    metres = chord_to_metres(np.asarray(chord).reshape(len(floor), reach))
    beyond = metres > floor[:, None] + 1e-6
    first = np.argmax(beyond, axis=1)
    found = metres[np.arange(len(floor)), first]
    return np.where(beyond.any(axis=1), found, far)


def solve_sparse_pmedian(
    demand_xyz: FloatArray,
    weight: FloatArray,
    site_xyz: FloatArray,
    count: int,
    fixed: BoolArray,
    k: int,
    seconds: float,
    rounds: int = 5,
) -> SparseResult:
    """Greedy + fast interchange on k-nearest lists, with penalties corrected between rounds."""
    deadline = time.perf_counter() + seconds
    lists = nearest_lists(demand_xyz, weight, cKDTree(site_xyz), site_xyz.shape[0], k)
    floor = lists.cost[lists.indptr[1:] - 1]  # the k-th listed distance of each point
    extent = float(chord_to_metres(np.ptp(demand_xyz, axis=0).max(initial=0.0) * np.ones(1))[0])
    lists = replace(lists, missing=np.maximum(floor, extent))
    best = greedy_open(lists, count, fixed)
    best_cost, swaps, done, finished = np.inf, 0, 0, False
    for done in range(1, rounds + 1):  # noqa: B007 - the count is reported
        left = deadline - time.perf_counter()
        found = interchange(lists, best, fixed, seconds=max(left, 0.0))
        swaps, finished = swaps + found.swaps, found.finished
        metres = true_distances(demand_xyz, site_xyz, found.is_open)
        cost = float(weight @ metres)
        if cost >= best_cost - 1e-9 * max(best_cost, 1.0):
            break
        best, best_cost = found.is_open, cost
        beyond = unlisted_distances(demand_xyz, site_xyz, best, floor, extent)
        lists = replace(lists, missing=np.maximum(floor, beyond))
        if time.perf_counter() >= deadline:
            break
    return SparseResult(best, best_cost, swaps, done, finished)

"""Build the sparse cost lists the search engines read: dense, k nearest, walking radius."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from vitrine.lockers.planning.geo import chord_to_metres, metres_to_chord
from vitrine.lockers.planning.interchange import CostLists

FloatArray = NDArray[np.float64]

# Inside the radius a covering site still prefers nearer demand, but never at the price of coverage.
COVERING_TIEBREAK = 1e-3


def lists_from_matrix(distance: FloatArray, weight: FloatArray) -> CostLists:
    """Every site on every row: exact, for instances whose full matrix fits in memory."""
    n, m = distance.shape
    order = np.argsort(distance, axis=1, kind="stable").astype(np.int64)
    cost = np.take_along_axis(distance, order, axis=1)
    indptr = np.arange(n + 1, dtype=np.int64) * m
    return CostLists(
        indptr, order.ravel(), cost.ravel().astype(np.float64), weight, cost[:, -1].copy(), m
    )


def nearest_lists(
    demand_xyz: FloatArray, weight: FloatArray, tree: cKDTree, n_sites: int, k: int
) -> CostLists:
    """The k nearest sites of each demand point (metres); farther sites cost 1.5 x the k-th."""
    k = min(k, n_sites)
    chord, index = tree.query(demand_xyz, k=k)
    chord = np.asarray(chord).reshape(len(weight), k)
    index = np.asarray(index, dtype=np.int64).reshape(len(weight), k)
    metres = chord_to_metres(chord)
    missing = 1.5 * metres[:, -1] + 1.0 if k < n_sites else metres[:, -1].copy()
    indptr = np.arange(len(weight) + 1, dtype=np.int64) * k
    return CostLists(indptr, index.ravel(), metres.ravel(), weight, missing, n_sites)


def radius_lists(
    demand_xyz: FloatArray, weight: FloatArray, tree: cKDTree, n_sites: int, radius_m: float
) -> CostLists:
    """Sites within walking radius: cost ~0 (a small distance tie-break), uncovered costs 1."""
    found = tree.query_ball_point(demand_xyz, r=metres_to_chord(radius_m), return_sorted=False)
    lengths = np.fromiter((len(f) for f in found), dtype=np.int64, count=len(found))
    sites = np.fromiter((s for f in found for s in f), dtype=np.int64, count=int(lengths.sum()))
    row = np.repeat(np.arange(len(found), dtype=np.int64), lengths)
    gap = demand_xyz[row] - tree.data[sites]
    metres = chord_to_metres(np.sqrt(np.einsum("ij,ij->i", gap, gap)))
    order = np.lexsort((metres, row))
    indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    cost = COVERING_TIEBREAK * np.minimum(metres[order] / radius_m, 1.0)
    return CostLists(indptr, sites[order], cost, weight, np.ones(len(found)), n_sites)

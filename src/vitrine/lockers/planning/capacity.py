"""Serve demand from chosen sites without exceeding their capacity: a transportation LP (HiGHS).

Each demand point may use its few nearest chosen sites; what none of them can take is
"unserved" at a price above any distance. The LP of a transportation problem has integral
optimal vertices, so no integer variables are needed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import coo_matrix, csc_matrix
from scipy.spatial import cKDTree

from vitrine.lockers.planning.geo import chord_to_metres
from vitrine.lockers.planning.mip import LinearModel, MipSolver, default_solver

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Assignment:
    """Weight each chosen site serves, what no site could take, and the weighted distance flowed."""

    site_load: FloatArray
    unserved_weight: float
    weighted_metres: float


def transport_model(
    weight: FloatArray, index: NDArray[np.int64], metres: FloatArray, capacity: FloatArray
) -> LinearModel:
    """Variables: flow on each (demand, listed site) pair, then unserved weight per demand."""
    n, k = index.shape
    m = capacity.size
    arcs = np.arange(n * k)
    limited = np.flatnonzero(np.isfinite(capacity))
    slot = np.full(m, -1)
    slot[limited] = np.arange(limited.size)
    site_row = slot[index.ravel()]
    use = site_row >= 0
    rows = np.concatenate([arcs // k, np.arange(n), n + site_row[use]])
    cols = np.concatenate([arcs, n * k + np.arange(n), arcs[use]])
    matrix = coo_matrix((np.ones(rows.size), (rows, cols)), shape=(n + limited.size, n * k + n))
    penalty = 10.0 * float(metres.max()) + 1.0
    return LinearModel(
        cost=np.concatenate([metres.ravel(), np.full(n, penalty)]),
        matrix=csc_matrix(matrix),
        row_lower=np.concatenate([weight, np.full(limited.size, -np.inf)]),
        row_upper=np.concatenate([weight, capacity[limited]]),
        col_lower=np.zeros(n * k + n),
        col_upper=np.full(n * k + n, np.inf),
        integer=np.zeros(n * k + n, dtype=bool),
    )


def assign_with_capacity(
    demand_xyz: FloatArray,
    weight: FloatArray,
    site_xyz: FloatArray,
    capacity: FloatArray,
    reach: int = 6,
    solver: MipSolver | None = None,
) -> Assignment:
    """Cheapest service within capacities, each point using its `reach` nearest chosen sites."""
    n, k = weight.size, min(reach, capacity.size)
    chord, index = cKDTree(site_xyz).query(demand_xyz, k=k)
    index = np.asarray(index, dtype=np.int64).reshape(n, k)
    metres = chord_to_metres(np.asarray(chord).reshape(n, k))
    model = transport_model(weight, index, metres, capacity)
    result = (solver or default_solver()).solve(model, 600.0)
    if result.x.size == 0:
        raise RuntimeError(f"capacity assignment failed: {result.status}")
    served = np.maximum(result.x[: n * k], 0.0)
    site_load = np.bincount(index.ravel(), served, minlength=capacity.size).astype(np.float64)
    unserved = float(np.maximum(result.x[n * k :], 0.0).sum())
    return Assignment(site_load, unserved, float(served @ metres.ravel()))

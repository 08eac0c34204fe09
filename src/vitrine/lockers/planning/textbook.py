"""The textbook p-median MIP (x_ij assignment variables), handed to the solver as it is.

Benchmarks compare the radius formulation and the Lagrangian steps against it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import coo_matrix, csc_matrix

from vitrine.lockers.planning.mip import LinearModel, MipSolver, default_solver
from vitrine.lockers.planning.pmedian import ExactResult

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


def textbook_model(
    distance: FloatArray, weight: FloatArray, p: int, fixed: BoolArray
) -> LinearModel:
    """y_j open, x_ij share of i served by j:  sum_j x_ij = 1,  x_ij <= y_j,  sum_j y_j = p."""
    n, m = distance.shape
    i, j = np.divmod(np.arange(n * m, dtype=np.int64), m)
    x = m + i * m + j
    link = n + i * m + j
    rows = np.concatenate([i, link, link, np.full(m, n + n * m)])
    cols = np.concatenate([x, x, j, np.arange(m)])
    data = np.concatenate([np.ones(2 * n * m), -np.ones(n * m), np.ones(m)])
    matrix = coo_matrix((data, (rows, cols)), shape=(n + n * m + 1, m + n * m))
    return LinearModel(
        cost=np.concatenate([np.zeros(m), (weight[:, None] * distance).ravel()]),
        matrix=csc_matrix(matrix),
        row_lower=np.concatenate([np.ones(n), np.full(n * m, -np.inf), [p]]),
        row_upper=np.concatenate([np.ones(n), np.zeros(n * m), [p]]),
        col_lower=np.concatenate([fixed.astype(np.float64), np.zeros(n * m)]),
        col_upper=np.ones(m + n * m),
        integer=np.concatenate([np.ones(m, bool), np.zeros(n * m, bool)]),
    )


def solve_pmedian_textbook(
    distance: FloatArray,
    weight: FloatArray,
    p: int,
    fixed: BoolArray | None = None,
    seconds: float = 600.0,
    solver: MipSolver | None = None,
) -> ExactResult:
    """The assignment (x_ij) formulation handed to the MIP solver as it is, for comparison."""
    solver = solver or default_solver()
    fixed = np.zeros(distance.shape[1], bool) if fixed is None else fixed
    model = textbook_model(distance, weight, p, fixed)
    result = solver.solve(model, seconds)
    m = distance.shape[1]
    is_open = result.x[:m] > 0.5 if result.x.size else np.zeros(m, bool)
    return ExactResult(
        is_open,
        result.objective,
        result.bound,
        result.optimal,
        result.seconds,
        1,
        model.cost.size,
        model.matrix.shape[0],
        solver.name,
    )

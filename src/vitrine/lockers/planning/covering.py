"""Exact maximal covering: open N sites so that the most demand weight has one within the radius."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import coo_matrix, csc_matrix

from vitrine.lockers.planning.interchange import CostLists
from vitrine.lockers.planning.mip import LinearModel, MipSolution, MipSolver, default_solver

BoolArray = NDArray[np.bool_]


def covering_model(lists: CostLists, count: int, fixed: BoolArray) -> LinearModel:
    """max sum w_i u_i  s.t.  u_i <= sum of y_j over sites j within reach of i,  sum y = N."""
    n, m = lists.weight.size, lists.n_sites
    rows = np.concatenate([np.arange(n), lists.row, np.full(m, n)])
    cols = np.concatenate([m + np.arange(n), lists.sites, np.arange(m)])
    data = np.concatenate([np.ones(n), -np.ones(lists.sites.size), np.ones(m)])
    matrix = csc_matrix(coo_matrix((data, (rows, cols)), shape=(n + 1, m + n)))
    return LinearModel(
        cost=np.concatenate([np.zeros(m), -lists.weight]),
        matrix=matrix,
        row_lower=np.concatenate([np.full(n, -np.inf), [count]]).astype(np.float64),
        row_upper=np.concatenate([np.zeros(n), [count]]).astype(np.float64),
        col_lower=np.concatenate([fixed.astype(np.float64), np.zeros(n)]),
        col_upper=np.ones(m + n),
        integer=np.concatenate([np.ones(m, bool), np.zeros(n, bool)]),
    )


def covered_weight(lists: CostLists, is_open: BoolArray) -> float:
    """Demand weight with at least one open site in its list."""
    hit = np.zeros(lists.weight.size, dtype=bool)
    hit[lists.row[is_open[lists.sites]]] = True
    return float(lists.weight[hit].sum())


def solve_covering_exact(
    lists: CostLists,
    count: int,
    start: BoolArray,
    fixed: BoolArray,
    seconds: float = 120.0,
    solver: MipSolver | None = None,
) -> tuple[BoolArray, MipSolution]:
    """Best N sites for covered weight, starting from a heuristic choice; returns sites + proof."""
    solver = solver or default_solver()
    model = covering_model(lists, count, fixed)
    hit = np.zeros(lists.weight.size)
    hit[lists.row[start[lists.sites]]] = 1.0
    result = solver.solve(model, seconds, np.concatenate([start.astype(np.float64), hit]))
    if result.x.size == 0:
        return start, result
    found = result.x[: lists.n_sites] > 0.5
    return (
        found if covered_weight(lists, found) >= covered_weight(lists, start) else start
    ), result

"""Exact maximal covering: open N sites so that the most demand weight has one within the radius."""

from __future__ import annotations

import time

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import coo_matrix, csc_matrix

from vitrine.lockers.planning.interchange import CostLists
from vitrine.lockers.planning.mip import LinearModel, MipSolution, MipSolver, default_solver

BoolArray = NDArray[np.bool_]
FloatArray = NDArray[np.float64]


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


def covering_upper_bound(
    lists: CostLists, count: int, fixed: BoolArray, lower: float, seconds: float = 30.0
) -> float:
    """Lagrangian upper bound on the covered weight (rows u_i <= sum y_j relaxed, subgradient).

    With multipliers l_i >= 0 the best value is  sum_i max(0, w_i - l_i)  plus the `count`
    largest site scores  s_j = sum of l_i over the rows j covers  (fixed sites always in).
    `lower` is the weight a known choice covers: the steps aim at it.
    """
    began = time.perf_counter()
    n = lists.weight.size
    mult = 0.5 * lists.weight
    best, step_size, idle = np.inf, 2.0, 0
    while step_size > 1e-3 and time.perf_counter() - began < seconds:
        score = np.bincount(lists.sites, mult[lists.row], minlength=lists.n_sites).astype(
            np.float64
        )
        chosen = _top_sites(score, count, fixed)
        value = float(np.maximum(0.0, lists.weight - mult).sum() + score[chosen].sum())
        if value < best - 1e-9 * max(1.0, value):
            best, idle = value, 0
        else:
            idle += 1
            step_size, idle = (step_size / 2, 0) if idle >= 30 else (step_size, idle)
        reached = np.bincount(lists.row, chosen[lists.sites].astype(np.float64), minlength=n)
        g = (lists.weight > mult).astype(np.float64) - reached  # d value / d l_i
        norm = float(g @ g)
        if norm == 0 or best <= lower + 1e-9 * max(1.0, lower):
            break
        mult = np.clip(mult + step_size * (value - lower) / norm * g, 0.0, lists.weight)
    return max(min(best, float(lists.weight.sum())), lower)


def _top_sites(score: FloatArray, count: int, fixed: BoolArray) -> BoolArray:
    chosen = fixed.copy()
    free = np.flatnonzero(~fixed)
    chosen[free[np.argsort(-score[free], kind="stable")[: count - int(fixed.sum())]]] = True
    return chosen

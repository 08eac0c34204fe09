"""Lagrangian lower bound for p-median (Beasley 1993) and the site fixing it proves.

Relaxing the assignment rows (sum_j x_ij = 1) with multipliers u_i leaves
    L(u) = sum_i u_i + sum of the p smallest rho_j,   rho_j = sum_i min(0, c_ij - u_i),
a lower bound for every u, improved by subgradient steps. The rows are the sparse cost
lists of the search engines: a row may list only its k nearest sites, because every site
it does not list costs at least its last listed one, so capping u_i at that cost keeps
the bound valid (an unlisted site would add min(0, c_ij - u_i) = 0 anyway).

The bound of L with one site forced in (or out) says which sites no solution as good as
the incumbent can use (close them) and which every such solution needs (keep them open).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from vitrine.lockers.planning.interchange import CostLists

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True)
class LagrangianBound:
    """The best bound found, and the sites it proves closed or open in any solution <= `upper`."""

    bound: float
    closed: BoolArray
    opened: BoolArray
    iterations: int
    seconds: float
    multipliers: FloatArray  # the u of the best bound, to start a search tree from


@dataclass(frozen=True)
class LagrangianStep:
    value: float
    is_open: BoolArray
    rho: FloatArray
    q_last: float  # the largest rho among the sites chosen freely
    q_next: float  # the smallest rho among the sites left out


def evaluate(
    lists: CostLists,
    c: FloatArray,
    u: FloatArray,
    p: int,
    fixed: BoolArray,
    closed: BoolArray | None = None,
) -> LagrangianStep:
    """L(u): the p cheapest sites by rho, the fixed ones always in, the closed ones never.

    `c` holds the weighted cost of every list entry.
    """
    rho = np.bincount(
        lists.sites, np.minimum(0.0, c - u[lists.row]), minlength=lists.n_sites
    ).astype(np.float64)
    free = np.flatnonzero(~fixed if closed is None else ~fixed & ~closed)
    q = p - int(fixed.sum())
    order = free[np.argsort(rho[free], kind="stable")]
    is_open = fixed.copy()
    is_open[order[:q]] = True
    q_last = float(rho[order[q - 1]]) if q > 0 else -np.inf
    q_next = float(rho[order[q]]) if q < order.size else np.inf
    return LagrangianStep(float(u.sum() + rho[is_open].sum()), is_open, rho, q_last, q_next)


def subgradient(lists: CostLists, c: FloatArray, u: FloatArray, is_open: BoolArray) -> FloatArray:
    """1 - (number of open sites cheaper than u_i) for each row."""
    used = is_open[lists.sites] & (c < u[lists.row])
    counts = np.bincount(lists.row, used.astype(np.float64), minlength=lists.weight.size)
    return np.asarray(1.0 - counts, dtype=np.float64)


def fixings(step: LagrangianStep, fixed: BoolArray, limit: float) -> tuple[BoolArray, BoolArray]:
    """Sites whose forced opening (closing) lifts this L above `limit`."""
    free = ~fixed
    closed = free & ~step.is_open & (step.value - step.q_last + step.rho > limit)
    opened = free & step.is_open & (step.value - step.rho + step.q_next > limit)
    return closed, opened


def start_multipliers(lists: CostLists) -> FloatArray:
    """Each row's cost to its second-nearest listed site (its nearest when it lists one)."""
    second = np.minimum(lists.indptr[:-1] + 1, lists.indptr[1:] - 1)
    return lists.weight * lists.cost[second]


def lagrangian_bound(
    lists: CostLists,
    p: int,
    fixed: BoolArray,
    upper: float,
    seconds: float = 10.0,
    patience: int = 30,
) -> LagrangianBound:
    """Subgradient optimisation of L(u) (step halved after `patience` idle steps).

    `upper` is the cost of a known solution: the step size aims at it, and the fixing keeps
    every solution that costs no more than it (so every optimal one).
    """
    began = time.perf_counter()
    cap = lists.weight * lists.cost[lists.indptr[1:] - 1]
    u = np.minimum(start_multipliers(lists), cap)
    c = lists.weight[lists.row] * lists.cost
    best_u = u
    limit = upper + 1e-7 * max(1.0, abs(upper))
    closed = np.zeros(lists.n_sites, dtype=bool)
    opened = np.zeros(lists.n_sites, dtype=bool)
    best, step_size, idle, done = -np.inf, 2.0, 0, 0
    while step_size > 5e-3 and time.perf_counter() - began < seconds:
        done += 1
        step = evaluate(lists, c, u, p, fixed)
        shut, keep = fixings(step, fixed, limit)
        closed |= shut
        opened |= keep
        if step.value > best + 1e-9 * max(1.0, abs(step.value)):
            best, idle, best_u = step.value, 0, u
        else:
            idle += 1
            if idle >= patience:
                step_size, idle = step_size / 2, 0
        g = subgradient(lists, c, u, step.is_open)
        norm = float(g @ g)
        if norm == 0 or best >= upper - 1e-9 * max(1.0, abs(upper)):
            break  # L's solution is feasible (so optimal for it), or the incumbent is proven
        u = np.clip(u + step_size * (upper - step.value) / norm * g, 0.0, cap)
    return LagrangianBound(
        min(best, upper), closed, opened, done, time.perf_counter() - began, best_u
    )

"""Beasley's Lagrangian heuristic: local search from the sites L(u) chooses near its best u.

The subgradient run ends at multipliers whose Lagrangian choice of p sites is close to a
good solution; a few small steps around them give a handful of distinct choices, and a swap
interchange from each often beats the heuristic start. A better incumbent then closes more
sites, so the fixing is redone with it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace

import numpy as np
from numpy.typing import NDArray

from vitrine.lockers.planning.interchange import interchange
from vitrine.lockers.planning.lagrangian import LagrangianBound, SiteCosts, lagrangian_bound
from vitrine.lockers.planning.neighbours import lists_from_matrix

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

TRIES = 6  # distinct Lagrangian choices to start a local search from
NUDGE = 0.05  # step size of the small steps around the best multipliers
HEURISTIC_SHARE = 0.25  # of the bound's time, at most, for the local searches


def bound_and_improve(
    distance: FloatArray,
    weight: FloatArray,
    p: int,
    start: BoolArray,
    fixed: BoolArray,
    seconds: float,
) -> tuple[BoolArray, LagrangianBound]:
    """The Lagrangian bound with its fixing, and the best of `start` and the local searches.

    The fixing keeps every solution as good as the returned one (so every optimal one).
    """
    costs = SiteCosts.from_matrix(distance, weight)
    upper = float(weight @ distance[:, start].min(axis=1))
    integral = bool(np.all(distance == np.round(distance)) and np.all(weight == np.round(weight)))
    lag = lagrangian_bound(costs, p, fixed, upper, seconds=seconds, integral=integral)
    if lag.bound >= (upper - 1.0 + 1e-6 if integral else upper - 1e-6 * max(1.0, abs(upper))):
        return start, lag
    deadline = time.perf_counter() + HEURISTIC_SHARE * seconds
    keep = ~lag.closed
    lists = lists_from_matrix(distance[:, keep], weight)
    best, best_cost = start, upper
    for choice in _choices(costs, p, fixed, lag.multipliers, upper):
        if choice[~keep].any() or time.perf_counter() > deadline:
            continue
        found = interchange(
            lists, choice[keep], fixed[keep], seconds=deadline - time.perf_counter()
        )
        if found.objective < best_cost - 1e-9 * max(1.0, abs(best_cost)):
            best = np.zeros_like(start)
            best[np.flatnonzero(keep)[found.is_open]] = True
            best_cost = found.objective
    if best_cost >= upper:
        return start, lag
    again = lagrangian_bound(
        costs, p, fixed, best_cost, seconds / 2, start=lag.multipliers, integral=integral
    )
    # Both fixings hold: the first kept every solution as good as `start`, a superset.
    return best, replace(again, closed=lag.closed | again.closed, opened=lag.opened | again.opened)


def _choices(
    costs: SiteCosts, p: int, fixed: BoolArray, u: FloatArray, upper: float, steps: int = 40
) -> Iterator[BoolArray]:
    """Up to TRIES distinct Lagrangian choices of sites at and around the multipliers `u`."""
    seen: set[bytes] = set()
    for _ in range(steps):
        step = costs.step(u, p, fixed)
        key = np.packbits(step.is_open).tobytes()
        if key not in seen and int(step.is_open.sum()) == p:
            seen.add(key)
            yield step.is_open
            if len(seen) >= TRIES:
                return
        g = costs.subgradient(u, step.is_open)
        norm = float(g @ g)
        if norm == 0:
            return
        u = np.clip(u + NUDGE * (upper - step.value) / norm * g, 0.0, costs.cap)

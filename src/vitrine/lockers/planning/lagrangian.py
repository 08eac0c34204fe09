"""Lagrangian lower bound for p-median (Beasley 1993) and the site fixing it proves.

Relaxing the assignment rows (sum_j x_ij = 1) with multipliers u_i leaves
    L(u) = sum_i u_i + sum of the p smallest rho_j,   rho_j = sum_i min(0, c_ij - u_i),
a lower bound for every u, improved by subgradient steps. Two relaxations compute it:
`ListRelaxation` on the sparse cost lists of the search engines, where a row may list only
its k nearest sites (every site it does not list costs at least its last listed one, so
capping u_i at that cost keeps the bound valid: an unlisted site adds min(0, c_ij - u_i) = 0),
and `SiteCosts` on a full matrix, site by site, several times faster per step.

The bound of L with one site forced in (or out) says which sites no solution as good as
the incumbent can use (close them) and which every such solution needs (keep them open).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from vitrine.lockers.planning.interchange import CostLists

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
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
    choice: BoolArray  # the sites L chose at that u: a good start for a local search


@dataclass(frozen=True)
class LagrangianStep:
    value: float
    is_open: BoolArray
    rho: FloatArray
    q_last: float  # the largest rho among the sites chosen freely
    q_next: float  # the smallest rho among the sites left out


class Relaxation(Protocol):
    """L(u) of one p-median instance: its value and subgradient for given multipliers."""

    @property
    def cap(self) -> FloatArray:
        """The largest useful u_i of each row."""

    @property
    def n_sites(self) -> int: ...

    def start(self) -> FloatArray:
        """Multipliers to begin with."""

    def step(
        self, u: FloatArray, p: int, opened: BoolArray, closed: BoolArray | None = None
    ) -> LagrangianStep:
        """L(u) with the `opened` sites forced in and the `closed` ones out."""

    def subgradient(self, u: FloatArray, is_open: BoolArray) -> FloatArray:
        """1 - (number of open sites cheaper than u_i) for each row."""


def choose(
    rho: FloatArray, u_sum: float, p: int, opened: BoolArray, closed: BoolArray | None
) -> LagrangianStep:
    """The p cheapest sites by rho, the opened ones always in, the closed ones never."""
    free = np.flatnonzero(~opened if closed is None else ~opened & ~closed)
    q = p - int(opened.sum())
    is_open = opened.copy()
    q_last, q_next = -np.inf, np.inf
    if 0 < q < free.size:
        split = np.argpartition(rho[free], q)
        chosen, rest = free[split[:q]], free[split[q:]]
        q_last, q_next = float(rho[chosen].max()), float(rho[rest].min())
        is_open[chosen] = True
    elif q > 0:
        is_open[free] = True
        q_last = float(rho[free].max()) if free.size else np.inf
    return LagrangianStep(float(u_sum + rho[is_open].sum()), is_open, rho, q_last, q_next)


class ListRelaxation:
    """L(u) on sparse cost lists (each row its listed sites, cheapest first)."""

    def __init__(self, lists: CostLists) -> None:
        self.lists = lists
        self.c = lists.weight[lists.row] * lists.cost
        self.cap = lists.weight * lists.cost[lists.indptr[1:] - 1]
        self.n_sites = lists.n_sites

    def start(self) -> FloatArray:
        """Each row's cost to its second-nearest listed site (its nearest when it lists one)."""
        lists = self.lists
        second = np.minimum(lists.indptr[:-1] + 1, lists.indptr[1:] - 1)
        return np.asarray(np.minimum(lists.weight * lists.cost[second], self.cap))

    def step(
        self, u: FloatArray, p: int, opened: BoolArray, closed: BoolArray | None = None
    ) -> LagrangianStep:
        lists = self.lists
        terms = np.minimum(0.0, self.c - u[lists.row])
        rho = np.bincount(lists.sites, terms, minlength=lists.n_sites).astype(np.float64)
        return choose(rho, float(u.sum()), p, opened, closed)

    def subgradient(self, u: FloatArray, is_open: BoolArray) -> FloatArray:
        lists = self.lists
        used = is_open[lists.sites] & (self.c < u[lists.row])
        counts = np.bincount(lists.row, used.astype(np.float64), minlength=lists.weight.size)
        return np.asarray(1.0 - counts, dtype=np.float64)


class SiteCosts:
    """L(u) on a full matrix held site by site (`cost[j, i]` = weight_i * distance_ij).

    `sites` maps each row of `cost` to its site in the whole instance, so a search tree can
    drop the sites a node has closed and keep working on a smaller matrix.
    """

    def __init__(self, cost: FloatArray, cap: FloatArray, sites: IntArray, n_total: int) -> None:
        self.cost = cost
        self.cap = cap
        self.sites = sites
        self.n_sites = cost.shape[0]
        self.n_total = n_total  # sites of the whole instance
        self._buffer = np.empty_like(cost)

    @classmethod
    def from_matrix(cls, distance: FloatArray, weight: FloatArray) -> SiteCosts:
        cost = np.ascontiguousarray((distance * weight[:, None]).T, dtype=np.float64)
        m = cost.shape[0]
        return cls(cost, cost.max(axis=0), np.arange(m, dtype=np.int64), m)

    def restrict(self, keep: BoolArray) -> SiteCosts:
        """The same relaxation without the sites outside `keep` (they are closed)."""
        cost = np.ascontiguousarray(self.cost[keep])
        return SiteCosts(cost, self.cap, self.sites[keep], self.n_total)

    def start(self) -> FloatArray:
        return np.asarray(np.partition(self.cost, min(1, self.n_sites - 1), axis=0)[1])

    def step(
        self, u: FloatArray, p: int, opened: BoolArray, closed: BoolArray | None = None
    ) -> LagrangianStep:
        np.subtract(self.cost, u, out=self._buffer)
        np.minimum(self._buffer, 0.0, out=self._buffer)
        return choose(self._buffer.sum(axis=1), float(u.sum()), p, opened, closed)

    def subgradient(self, u: FloatArray, is_open: BoolArray) -> FloatArray:
        return np.asarray(1.0 - (self.cost[is_open] < u).sum(axis=0), dtype=np.float64)

    def value(self, is_open: BoolArray) -> float:
        """Cost of serving every row from its nearest site among `is_open`."""
        return float(self.cost[is_open].min(axis=0).sum())


def fixings(step: LagrangianStep, fixed: BoolArray, limit: float) -> tuple[BoolArray, BoolArray]:
    """Sites whose forced opening (closing) lifts this L above `limit`."""
    free = ~fixed
    closed = free & ~step.is_open & (step.value - step.q_last + step.rho > limit)
    opened = free & step.is_open & (step.value - step.rho + step.q_next > limit)
    return closed, opened


def lagrangian_bound(
    relaxation: Relaxation,
    p: int,
    fixed: BoolArray,
    upper: float,
    seconds: float = 10.0,
    patience: int = 30,
    start: FloatArray | None = None,
    integral: bool = False,
) -> LagrangianBound:
    """Subgradient optimisation of L(u) (step halved after `patience` idle steps).

    `upper` is the cost of a known solution: the step size aims at it, and the fixing keeps
    every solution that costs no more than it (so every optimal one). `start` replaces the
    default first multipliers (to go on from an earlier run). With `integral` costs (every
    solution costs a whole number) the run stops once the bound rounds up to `upper`.
    """
    began = time.perf_counter()
    cap = relaxation.cap
    u = np.minimum(relaxation.start() if start is None else start, cap)
    best_u, best_choice = u, fixed.copy()
    limit = upper + 1e-7 * max(1.0, abs(upper))
    proven_at = upper - 1.0 + 1e-6 if integral else upper - 1e-9 * max(1.0, abs(upper))
    closed = np.zeros(relaxation.n_sites, dtype=bool)
    opened = np.zeros(relaxation.n_sites, dtype=bool)
    best, step_size, idle, done = -np.inf, 2.0, 0, 0
    while step_size > 5e-3 and time.perf_counter() - began < seconds:
        done += 1
        step = relaxation.step(u, p, fixed)
        shut, keep = fixings(step, fixed, limit)
        closed |= shut
        opened |= keep
        if step.value > best + 1e-9 * max(1.0, abs(step.value)):
            best, idle, best_u, best_choice = step.value, 0, u, step.is_open
        else:
            idle += 1
            if idle >= patience:
                step_size, idle = step_size / 2, 0
        g = relaxation.subgradient(u, step.is_open)
        norm = float(g @ g)
        if norm == 0 or best >= proven_at:
            break  # L's solution is feasible (so optimal for it), or the incumbent is proven
        u = np.clip(u + step_size * (upper - step.value) / norm * g, 0.0, cap)
    return LagrangianBound(
        min(best, upper), closed, opened, done, time.perf_counter() - began, best_u, best_choice
    )

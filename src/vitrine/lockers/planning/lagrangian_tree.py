"""Best-first branch and bound on the Lagrangian bound (Beasley 1993): p-median with few medians.

A node forces some sites open and some closed. Its bound is L(u) under those forcings,
improved by subgradient steps from its parent's multipliers; the fixing tests close and open
more sites at every step, and the node then works on the matrix of its live sites only (deep
nodes keep a fifth of them). Every node's Lagrangian choice of sites is tried as a solution.

Branching is strong branching: for each free site the node's Lagrangian solution opens, a
few subgradient steps estimate the bounds of both children (site closed, site open); the
site whose weaker child is strongest is branched on. A child whose estimate already reaches
the incumbent is never made: its site is fixed the other way.
Nodes are taken lowest bound first, so the lowest open bound is the tree's proven bound.
"""

from __future__ import annotations

import heapq
import itertools
import time
from dataclasses import dataclass, field, replace

import numpy as np
from numpy.typing import NDArray

from vitrine.lockers.planning.lagrangian import SiteCosts, fixings

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

NODE_STEPS = 30  # subgradient steps to bound a node (five times that at the root)
PROBE_STEPS = 30  # subgradient steps to estimate a child in strong branching
PATIENCE = 5  # idle steps before the step size is halved


@dataclass(frozen=True)
class TreeResult:
    """Best sites found, their cost, the proven bound, and whether the tree was finished."""

    is_open: BoolArray
    objective: float
    bound: float
    finished: bool
    nodes: int


@dataclass(order=True)
class _Node:
    bound: float  # a lower bound for every solution below this node
    order: int
    opened: BoolArray = field(compare=False)
    closed: BoolArray = field(compare=False)
    u: FloatArray = field(compare=False)


@dataclass(frozen=True)
class _Relaxed:
    """A node after its subgradient steps (on the node's live sites)."""

    bound: float
    u: FloatArray
    opened: BoolArray
    closed: BoolArray


@dataclass
class _Incumbent:
    costs: SiteCosts  # all sites of the tree
    best: BoolArray
    best_cost: float
    integral: bool

    def prune_at(self) -> float:
        """A node whose bound reaches this cannot hold a better solution."""
        if self.integral:
            return self.best_cost - 1.0 + 1e-6
        return self.best_cost - 1e-9 * max(1.0, abs(self.best_cost))

    def offer(self, costs: SiteCosts, is_open: BoolArray) -> None:
        """Try the sites open in `is_open` (indexed like `costs`) as a solution."""
        chosen = np.zeros(self.costs.n_sites, dtype=bool)
        chosen[costs.sites[is_open]] = True
        cost = self.costs.value(chosen)
        if cost < self.best_cost - 1e-9 * max(1.0, abs(cost)):
            self.best, self.best_cost = chosen, cost


def _settled(
    inc: _Incumbent, costs: SiteCosts, p: int, opened: BoolArray, closed: BoolArray
) -> bool:
    """True when the forcings leave no choice (or no solution): nothing to bound."""
    n_open, n_live = int(opened.sum()), int((~closed).sum())
    if n_open > p or n_live < p:
        return True
    if n_open == p:
        inc.offer(costs, opened)
        return True
    if n_live == p:
        inc.offer(costs, ~closed)
        return True
    return False


def _relax(
    inc: _Incumbent,
    costs: SiteCosts,
    p: int,
    node: _Relaxed,
    steps: int,
    fix: bool = True,
) -> _Relaxed | None:
    """Subgradient steps under the node's forcings; None when nothing better lies below it."""
    u, opened, closed = node.u, node.opened.copy(), node.closed.copy()
    best, best_u, size, idle = -np.inf, u, 1.0, 0
    for k in range(steps):
        if _settled(inc, costs, p, opened, closed):
            return None
        step = costs.step(u, p, opened, closed)
        if step.value > best + 1e-9 * max(1.0, abs(step.value)):
            best, best_u, idle = step.value, u, 0
        elif (idle := idle + 1) >= PATIENCE:
            size, idle = size / 2, 0
        if best >= inc.prune_at():
            return None
        if fix:
            shut, keep = fixings(step, opened | closed, inc.prune_at())
            closed, opened = closed | shut, opened | keep
        g = costs.subgradient(u, step.is_open)
        norm = float(g @ g)
        if k % 10 == 0 or norm == 0:
            inc.offer(costs, step.is_open)
        if norm == 0:  # L's choice serves every row once: optimal under these forcings
            return None
        u = np.clip(u + size * (inc.best_cost - step.value) / norm * g, 0.0, costs.cap)
    return _Relaxed(best, best_u, opened, closed)


def _candidates(costs: SiteCosts, p: int, node: _Relaxed) -> list[int]:
    """The free sites L chooses at the node's multipliers.

    Probing sites outside that choice too (the next 3 or 8 by rho) cost more steps than the
    nodes they saved on the p = 10 random graphs.
    """
    step = costs.step(node.u, p, node.opened, node.closed)
    return np.flatnonzero(step.is_open & ~node.opened & ~node.closed).tolist()


def _branch(
    inc: _Incumbent, costs: SiteCosts, p: int, node: _Relaxed, count: itertools.count[int]
) -> list[_Node]:
    """Strong branching: the two children of the site whose weaker child bound is highest."""
    opened, closed = node.opened.copy(), node.closed.copy()
    best_score, best_pair = -np.inf, None
    for site in _candidates(costs, p, node):
        if opened[site] or closed[site]:
            continue
        shut, keep = closed.copy(), opened.copy()
        shut[site], keep[site] = True, True
        without = _relax(
            inc, costs, p, replace(node, closed=shut, opened=opened), PROBE_STEPS, False
        )
        if without is not None and without.bound <= best_score:
            continue  # its weaker child cannot beat the best site found
        with_it = _relax(
            inc, costs, p, replace(node, opened=keep, closed=closed), PROBE_STEPS, False
        )
        if without is None and with_it is None:
            return []
        if without is None or with_it is None:  # one side holds nothing better: fix the site
            opened, closed = (keep, closed) if without is None else (opened, shut)
            continue
        if (score := min(without.bound, with_it.bound)) > best_score:
            best_score, best_pair = score, (without, with_it)
    if best_pair is None:  # every candidate got fixed: bound the tightened node again
        return [_node(costs, replace(node, opened=opened, closed=closed), node.bound, count)]
    # Fixings found after a pair was probed hold for its children too.
    return [
        _node(
            costs, replace(c, opened=c.opened | opened, closed=c.closed | closed), node.bound, count
        )
        for c in best_pair
    ]


def _node(costs: SiteCosts, relaxed: _Relaxed, floor: float, count: itertools.count[int]) -> _Node:
    """A node over all sites of the tree from one over the live sites of its parent."""
    total = costs.n_total
    opened = np.zeros(total, dtype=bool)
    opened[costs.sites[relaxed.opened]] = True
    closed = np.ones(total, dtype=bool)
    closed[costs.sites[~relaxed.closed]] = False
    return _Node(max(relaxed.bound, floor), next(count), opened, closed, relaxed.u)


def _expand(
    inc: _Incumbent, node: _Node, p: int, steps: int, count: itertools.count[int]
) -> list[_Node]:
    """Bound a node on its live sites, then branch (or nothing, when it is pruned)."""
    costs = inc.costs.restrict(~node.closed) if node.closed.any() else inc.costs
    live = ~node.closed
    start = _Relaxed(node.bound, node.u, node.opened[live], np.zeros(costs.n_sites, dtype=bool))
    relaxed = _relax(inc, costs, p, start, steps)
    if relaxed is None:
        return []
    if relaxed.closed.mean() > 0.05:  # the fixing closed some: branch on a smaller matrix
        costs = costs.restrict(~relaxed.closed)
        keep = ~relaxed.closed
        relaxed = replace(
            relaxed, opened=relaxed.opened[keep], closed=np.zeros(int(keep.sum()), bool)
        )
    return _branch(inc, costs, p, relaxed, count)


def solve_by_tree(
    distance: FloatArray,
    weight: FloatArray,
    p: int,
    fixed: BoolArray,
    start: BoolArray,
    u: FloatArray,
    seconds: float,
    integral: bool = False,
) -> TreeResult:
    """Best-first branch and bound from `start` (a solution) and `u` (good multipliers).

    `distance` is the full demand x site matrix of the sites left; with `integral` (integer
    distances and weights) a node is pruned as soon as its bound rounds up to the incumbent.
    """
    deadline = time.perf_counter() + seconds
    costs = SiteCosts.from_matrix(distance, weight)
    inc = _Incumbent(costs, start.copy(), costs.value(start), integral)
    count = itertools.count()
    none = np.zeros(costs.n_sites, dtype=bool)
    heap = [_Node(-np.inf, next(count), fixed.copy(), none, np.minimum(u, costs.cap))]
    nodes = 0
    while heap:
        if time.perf_counter() > deadline:
            bound = min(heap[0].bound, inc.best_cost)
            return TreeResult(inc.best, inc.best_cost, bound, False, nodes)
        node = heapq.heappop(heap)
        if node.bound >= inc.prune_at():
            continue
        nodes += 1
        steps = NODE_STEPS * (5 if nodes == 1 else 1)
        for child in _expand(inc, node, p, steps, count):
            if child.bound < inc.prune_at():
                heapq.heappush(heap, child)
    return TreeResult(inc.best, inc.best_cost, inc.best_cost, True, nodes)

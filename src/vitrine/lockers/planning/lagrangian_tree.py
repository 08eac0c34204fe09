"""Branch and bound on the Lagrangian bound (Beasley 1993): p-median with few medians.

A node forces some sites open and some closed; its bound is L(u) under those forcings,
improved by a few subgradient steps from its parent's multipliers, and every node's
Lagrangian choice of sites is also tried as a solution. Small p is where the LP gap makes a
MIP branch for long, and where these nodes are cheapest (few sites chosen, most closed by
the fixing tests).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from vitrine.lockers.planning.interchange import CostLists, objective
from vitrine.lockers.planning.lagrangian import evaluate, fixings, subgradient

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

NODE_STEPS = 60  # subgradient steps per node


@dataclass(frozen=True)
class TreeResult:
    """Best sites found, their cost, and whether the tree was searched to the end."""

    is_open: BoolArray
    objective: float
    finished: bool
    nodes: int


@dataclass(frozen=True)
class _Node:
    opened: BoolArray
    closed: BoolArray
    u: FloatArray


@dataclass
class _Tree:
    lists: CostLists
    c: FloatArray
    cap: FloatArray
    p: int
    best: BoolArray
    best_cost: float
    integral: bool
    nodes: int = 0

    def prune_at(self) -> float:
        """A node whose bound reaches this cannot hold a better solution."""
        if self.integral:
            return self.best_cost - 1.0 + 1e-6
        return self.best_cost - 1e-9 * max(1.0, abs(self.best_cost))

    def offer(self, is_open: BoolArray) -> None:
        cost = objective(self.lists, is_open)
        if cost < self.best_cost - 1e-9 * max(1.0, abs(cost)):
            self.best, self.best_cost = is_open.copy(), cost


def _bound_node(tree: _Tree, node: _Node) -> tuple[float, _Node, BoolArray | None]:
    """Subgradient steps at a node: its bound, the node tightened by fixing, a branching site."""
    u, opened, closed = node.u.copy(), node.opened.copy(), node.closed.copy()
    bound, step_size, step = -np.inf, 1.0, None
    for k in range(NODE_STEPS):
        step = evaluate(tree.lists, tree.c, u, tree.p, opened, closed)
        bound = max(bound, step.value)
        if bound >= tree.prune_at():
            return bound, node, None
        if k % 10 == 0:
            tree.offer(step.is_open)
        shut, keep = fixings(step, opened | closed, tree.best_cost + 1e-7)
        closed, opened = closed | shut, opened | keep
        if int(opened.sum()) > tree.p or int((~closed).sum()) < tree.p:
            return np.inf, node, None  # no solution better than the incumbent down here
        g = subgradient(tree.lists, tree.c, u, step.is_open)
        norm = float(g @ g)
        if norm == 0:  # the Lagrangian choice is feasible: optimal under this node's forcings
            tree.offer(step.is_open)
            return bound, node, None
        u = np.clip(u + step_size * (tree.best_cost - step.value) / norm * g, 0.0, tree.cap)
        step_size = max(step_size * 0.95, 0.05)
    assert step is not None
    return bound, _Node(opened, closed, u), step.is_open & ~opened


def _children(tree: _Tree, node: _Node, candidates: BoolArray, rho: FloatArray) -> list[_Node]:
    if int(node.opened.sum()) == tree.p:
        tree.offer(node.opened)
        return []
    if int((~node.closed).sum()) == tree.p:
        tree.offer(~node.closed)
        return []
    free = np.flatnonzero(candidates)
    if free.size == 0:
        return []
    site = int(free[np.argmin(rho[free])])
    shut, keep = node.closed.copy(), node.opened.copy()
    shut[site], keep[site] = True, True
    # Depth first, the "open it" branch first (last in, first out).
    return [_Node(node.opened, shut, node.u), _Node(keep, node.closed, node.u)]


def solve_by_tree(
    lists: CostLists,
    p: int,
    fixed: BoolArray,
    start: BoolArray,
    u: FloatArray,
    seconds: float,
    integral: bool = False,
) -> TreeResult:
    """Depth-first branch and bound from `start` (a solution) and `u` (good multipliers)."""
    deadline = time.perf_counter() + seconds
    cap = lists.weight * lists.cost[lists.indptr[1:] - 1]
    c = lists.weight[lists.row] * lists.cost
    tree = _Tree(lists, c, cap, p, start.copy(), objective(lists, start), integral)
    stack = [_Node(fixed.copy(), np.zeros(lists.n_sites, dtype=bool), np.minimum(u, cap))]
    while stack:
        if time.perf_counter() > deadline:
            return TreeResult(tree.best, tree.best_cost, False, tree.nodes)
        tree.nodes += 1
        node = stack.pop()
        bound, node, candidates = _bound_node(tree, node)
        if candidates is None or bound >= tree.prune_at():
            continue
        rho = evaluate(lists, c, node.u, p, node.opened, node.closed).rho
        stack.extend(_children(tree, node, candidates, rho))
    return TreeResult(tree.best, tree.best_cost, True, tree.nodes)

"""Exact p-median: Elloumi's radius formulation with lazily extended levels, and the textbook MIP.

Radius formulation (Elloumi 2010, in the chained form): for demand i with distinct site
distances D0 < D1 < ..., z_l = 1 when no open site lies within D_l, and
    cost_i = D0 + sum_l (D_{l+1} - D_l) z_l,   z_0 >= 1 - y(level 0),   z_l >= z_{l-1} - y(level l).
Only the first levels of each demand point enter the model (up to the distance it gets in
the heuristic solution): that is a relaxation, so its optimum is a lower bound; when the
solution it returns serves everyone within the modelled levels, that bound is reached
and the solution is optimal. Otherwise the levels grow and the model is solved again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import coo_matrix, csc_matrix

from vitrine.lockers.planning.lagrangian import LagrangianBound
from vitrine.lockers.planning.lagrangian_heuristic import bound_and_improve
from vitrine.lockers.planning.lagrangian_tree import solve_by_tree
from vitrine.lockers.planning.mip import LinearModel, MipSolver, proof_solver

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

LAGRANGIAN_SHARE = 0.25  # of the time limit, at most, for the subgradient before the MIP
TREE_MAX_P = 12  # up to this p the Lagrangian tree goes first (the MIP's hard case)
TREE_SHARE = 0.85  # of the time limit, counted from the start, the tree may use


@dataclass(frozen=True)
class ExactResult:
    """Open sites, their objective, the proven lower bound, and what it took."""

    is_open: BoolArray
    objective: float
    bound: float
    optimal: bool
    seconds: float
    rounds: int
    variables: int
    constraints: int
    solver: str

    @property
    def gap(self) -> float:
        """(objective - bound) / objective: 0 when proven optimal."""
        if not np.isfinite(self.objective) or not np.isfinite(self.bound):
            return float("inf")
        return max(0.0, self.objective - self.bound) / max(abs(self.objective), 1e-9)


@dataclass(frozen=True)
class _Levels:
    order: IntArray  # sites of each row by ascending distance
    level: IntArray  # level (distinct-distance rank) of each sorted position
    values: FloatArray  # distance of each sorted position


def _levels(distance: FloatArray) -> _Levels:
    order = np.argsort(distance, axis=1, kind="stable").astype(np.int64)
    values = np.take_along_axis(distance, order, axis=1)
    steps = np.diff(values, axis=1) > 1e-9
    level = np.concatenate([np.zeros((len(values), 1), np.int64), np.cumsum(steps, axis=1)], axis=1)
    return _Levels(order, level, values)


def _served_level(levels: _Levels, is_open: BoolArray) -> IntArray:
    """The level of each row's nearest open site."""
    first = np.argmax(is_open[levels.order], axis=1)
    return levels.level[np.arange(len(first)), first]


def radius_model(
    levels: _Levels, weight: FloatArray, p: int, fixed: BoolArray, depth: IntArray
) -> tuple[LinearModel, float]:
    """The truncated radius model (and its constant term): row i keeps levels < depth[i]."""
    n, m = levels.order.shape
    keep = levels.level < depth[:, None]
    first_at_level = np.concatenate(
        [np.ones((n, 1), bool), np.diff(levels.level, axis=1) > 0], axis=1
    )
    is_z = first_at_level & keep  # one z (and one row) per kept level
    z_row, z_pos = np.nonzero(is_z)
    n_z = z_row.size
    row_start = np.concatenate([[0], np.cumsum(is_z.sum(axis=1))])
    z_id = row_start[z_row] + levels.level[z_row, z_pos]
    step = _next_value(levels, z_row, z_pos) - levels.values[z_row, z_pos]
    y_row, y_pos = np.nonzero(keep)
    y_constraint = row_start[y_row] + levels.level[y_row, y_pos]
    chained = levels.level[z_row, z_pos] > 0
    rows = np.concatenate([y_constraint, z_id, z_id[chained] + 0, [n_z] * m])
    cols = np.concatenate(
        [levels.order[y_row, y_pos], m + z_id, m + z_id[chained] - 1, np.arange(m)]
    )
    data = np.concatenate([np.ones(y_row.size + n_z), -np.ones(int(chained.sum())), np.ones(m)])
    matrix = csc_matrix(coo_matrix((data, (rows, cols)), shape=(n_z + 1, m + n_z)))
    row_lower = np.where(chained, 0.0, 1.0)
    model = LinearModel(
        cost=np.concatenate([np.zeros(m), weight[z_row] * step]),
        matrix=matrix,
        row_lower=np.concatenate([row_lower, [p]]).astype(np.float64),
        row_upper=np.concatenate([np.full(n_z, np.inf), [p]]).astype(np.float64),
        col_lower=np.concatenate([fixed.astype(np.float64), np.zeros(n_z)]),
        col_upper=np.concatenate([np.ones(m), np.full(n_z, np.inf)]),
        integer=np.concatenate([np.ones(m, bool), np.zeros(n_z, bool)]),
    )
    return model, float(weight @ levels.values[:, 0])


def _next_value(levels: _Levels, rows: IntArray, pos: IntArray) -> FloatArray:
    """The next larger distance after position `pos` of row `rows`."""
    bigger = levels.values[rows] > levels.values[rows, pos][:, None] + 1e-9
    nxt = np.argmax(bigger, axis=1)
    return np.where(bigger.any(axis=1), levels.values[rows, nxt], levels.values[rows, pos])


def _start_vector(
    levels: _Levels, model: LinearModel, is_open: BoolArray, depth: IntArray
) -> FloatArray:
    served = _served_level(levels, is_open)
    z_levels = [np.arange(d) for d in depth]
    z = np.concatenate(
        [(lv < s).astype(np.float64) for lv, s in zip(z_levels, served, strict=True)]
    )
    return np.concatenate([is_open.astype(np.float64), z])[: model.cost.size]


def cost_of(distance: FloatArray, weight: FloatArray, is_open: BoolArray) -> float:
    """Weighted distance from each demand row to its nearest open site."""
    return float(weight @ distance[:, is_open].min(axis=1))


@dataclass(frozen=True)
class _Relaxation:
    depth: IntArray
    bound: float
    reduced_cost: FloatArray


def _lp_depth(
    levels: _Levels,
    weight: FloatArray,
    p: int,
    fixed: BoolArray,
    depth: IntArray,
    solver: MipSolver,
    deadline: float,
) -> _Relaxation:
    """Grow each row's levels until the LP relaxation covers it fully inside them.

    The truncated LP then has the bound of the full one, at a fraction of its size. Whatever
    the loop reaches before `deadline`, the depth stays valid (any truncation is a relaxation).
    """
    rows = np.arange(depth.size)
    m = levels.order.shape[1]
    bound, reduced = -np.inf, np.empty(0)
    for _ in range(50):
        model, constant = radius_model(levels, weight, p, fixed, depth)
        left = deadline - time.perf_counter()
        if left <= 0:
            break
        result = solver.solve(replace(model, integer=np.zeros_like(model.integer)), left)
        if not result.optimal:  # out of time: an unfinished LP proves nothing
            break
        bound, reduced = result.objective + constant, result.reduced_cost[:m]
        cover = np.cumsum(result.x[:m][levels.order], axis=1)
        need = levels.level[rows, np.argmax(cover >= 1 - 1e-6, axis=1)]
        if not (need > depth).any():
            break
        depth = np.maximum(depth, need)
    return _Relaxation(depth, bound, reduced)


def _useless_sites(
    relaxation: _Relaxation, best_cost: float, fixed: BoolArray, integral: bool
) -> BoolArray:
    """Sites whose LP reduced cost proves that no solution using them beats `best_cost`."""
    if relaxation.reduced_cost.size != fixed.size:
        return np.zeros(fixed.size, dtype=bool)
    margin = 1e-6 * max(1.0, abs(best_cost))
    threshold = best_cost - 1.0 + margin if integral else best_cost + margin
    return (relaxation.bound + relaxation.reduced_cost > threshold) & ~fixed


def _depth_at(levels: _Levels, values: FloatArray) -> IntArray:
    """For each row, the level of the first distance >= the given value (or the last level)."""
    reach = levels.values >= values[:, None] - 1e-9
    pos = np.where(reach.any(axis=1), np.argmax(reach, axis=1), levels.values.shape[1] - 1)
    return levels.level[np.arange(values.size), pos]


@dataclass
class _Search:
    """The incumbent (best solution known, over all sites) and the bound proven so far."""

    distance: FloatArray
    weight: FloatArray
    best: BoolArray
    best_cost: float
    bound: float = -np.inf
    rounds: int = 0
    size: tuple[int, int] = (0, 0)

    def offer(self, is_open: BoolArray) -> None:
        cost = cost_of(self.distance, self.weight, is_open)
        if cost < self.best_cost - 1e-9:
            self.best, self.best_cost = is_open, cost


def _prove(
    search: _Search, keep: BoolArray, p: int, fixed: BoolArray, depth: IntArray, deadline: float,
    solver: MipSolver,
) -> None:  # fmt: skip
    """Solve the radius MIP over the kept sites, growing levels until its optimum is exact."""
    distance = search.distance[:, keep]
    levels = _levels(distance)
    sub_fixed = fixed[keep]
    while True:
        search.rounds += 1
        model, constant = radius_model(levels, search.weight, p, sub_fixed, depth)
        search.size = (model.cost.size, model.matrix.shape[0])
        start = None
        if not search.best[~keep].any():
            start = _start_vector(levels, model, search.best[keep], depth)
        left = max(deadline - time.perf_counter(), 1.0)
        result = solver.solve(model, left, start)
        if result.x.size == 0:
            return
        search.bound = max(search.bound, result.bound + constant)
        found = np.zeros(keep.size, dtype=bool)
        found[np.flatnonzero(keep)[result.x[: distance.shape[1]] > 0.5]] = True
        search.offer(found)
        short = _served_level(levels, found[keep]) > depth
        if not result.optimal or not short.any() or search.best_cost <= search.bound + 1e-6:
            return
        depth = np.where(short, _served_level(levels, found[keep]) + 1, depth)


def solve_pmedian_exact(
    distance: FloatArray,
    weight: FloatArray,
    p: int,
    start: BoolArray,
    fixed: BoolArray | None = None,
    seconds: float = 600.0,
    solver: MipSolver | None = None,
) -> ExactResult:
    """Prove (or improve) `start`, a heuristic p-median solution, within `seconds`.

    The Lagrangian bound comes first: it often proves `start` by itself (or the local search
    from its choice of sites, which often beats `start`), and otherwise closes the sites no
    solution as good as the best one can use and opens the ones all such solutions need. A
    Lagrangian tree (few medians) or the radius MIP (many) then works on the sites left.
    Whatever the time limit stops, the result holds the best solution and the best proven bound.
    """
    began = time.perf_counter()
    fixed = np.zeros(distance.shape[1], bool) if fixed is None else fixed
    start, lag = bound_and_improve(
        distance, weight, p, start, fixed, min(LAGRANGIAN_SHARE * seconds, 60.0)
    )
    upper = cost_of(distance, weight, start)
    lower = _proven_value(lag.bound, distance, weight)
    if lower >= upper - 1e-6 * max(1.0, abs(upper)) or time.perf_counter() - began >= seconds:
        return ExactResult(
            start.copy(), upper, min(lower, upper), lower >= upper - 1e-6 * max(1.0, abs(upper)),
            time.perf_counter() - began, 0, 0, 0, "Lagrangian",
        )  # fmt: skip
    keep = ~lag.closed
    sub_fixed = (fixed | lag.opened)[keep]
    tree = _tree_search(distance[:, keep], weight, p, sub_fixed, start[keep], lag, began, seconds)
    if tree is not None and tree.optimal:
        return _widen(tree, keep, lower, lag, began)
    tree_start = start[keep] if tree is None else tree.is_open
    inner = _solve_radius(
        distance[:, keep], weight, p, tree_start, sub_fixed,
        max(seconds - (time.perf_counter() - began), 1.0), solver or proof_solver(),
    )  # fmt: skip
    if tree is not None:
        inner = replace(
            inner, bound=max(inner.bound, tree.bound), solver=f"{tree.solver} + {inner.solver}"
        )
    return _widen(inner, keep, lower, lag, began)


def _tree_search(
    distance: FloatArray,
    weight: FloatArray,
    p: int,
    fixed: BoolArray,
    start: BoolArray,
    lag: LagrangianBound,
    began: float,
    seconds: float,
) -> ExactResult | None:
    """Lagrangian branch and bound on the sites left, when p is small: a proof, or the best
    solution and bound it reached (None when p is too large for it)."""
    if p > TREE_MAX_P:
        return None
    budget = TREE_SHARE * seconds - (time.perf_counter() - began)
    integral = _is_integral(distance, weight)
    found = solve_by_tree(
        distance, weight, p, fixed, start, lag.multipliers, max(budget, 0.0), integral
    )
    state = "" if found.finished else ", stopped"
    return ExactResult(
        found.is_open, found.objective, _proven_value(found.bound, distance, weight),
        found.finished, 0.0, 0, 0, 0, f"Lagrangian tree ({found.nodes} nodes{state})",
    )  # fmt: skip


def _widen(
    inner: ExactResult, keep: BoolArray, lower: float, lag: LagrangianBound, began: float
) -> ExactResult:
    """A result on the kept sites, back on all sites, with the best of both bounds."""
    is_open = np.zeros(keep.size, dtype=bool)
    is_open[np.flatnonzero(keep)[inner.is_open]] = True
    bound = min(max(lower, inner.bound), inner.objective)
    return replace(
        inner,
        is_open=is_open,
        bound=bound,
        optimal=bool(inner.objective <= bound + 1e-6 * max(1.0, abs(inner.objective))),
        seconds=time.perf_counter() - began,
        solver=f"Lagrangian ({int(lag.closed.sum())} sites closed, {int(lag.opened.sum())}"
        f" opened) + {inner.solver}",
    )


def _is_integral(distance: FloatArray, weight: FloatArray) -> bool:
    return bool(np.all(distance == np.round(distance)) and np.all(weight == np.round(weight)))


def _proven_value(bound: float, distance: FloatArray, weight: FloatArray) -> float:
    """With integer distances and weights every solution costs an integer: round the bound up."""
    integral = _is_integral(distance, weight)
    return float(np.ceil(bound - 1e-6)) if integral and np.isfinite(bound) else bound


def _solve_radius(
    distance: FloatArray,
    weight: FloatArray,
    p: int,
    start: BoolArray,
    fixed: BoolArray,
    seconds: float,
    solver: MipSolver,
) -> ExactResult:
    """Prove (or improve) `start` with the radius formulation: LP reduced costs remove the sites
    that cannot be in a solution better than `start`, the MIP runs on the sites left."""
    began = time.perf_counter()
    search = _Search(distance, weight, start.copy(), cost_of(distance, weight, start))
    levels = _levels(distance)
    deadline = began + seconds
    served = _served_level(levels, start)
    relaxation = _lp_depth(levels, weight, p, fixed, served, solver, deadline)
    integral = bool(np.all(distance == np.round(distance)) and np.all(weight == np.round(weight)))
    keep = ~_useless_sites(relaxation, search.best_cost, fixed, integral)
    if keep.sum() >= p:
        depth = relaxation.depth
        if not keep.all():
            cut = levels.values[
                np.arange(depth.size), np.argmax(levels.level >= depth[:, None], axis=1)
            ]
            sub_levels = _levels(distance[:, keep])
            sub_depth = _depth_at(sub_levels, cut)
            sub = _lp_depth(sub_levels, weight, p, fixed[keep], sub_depth, solver, deadline)
            depth = sub.depth
        _prove(search, keep, p, fixed, depth + 1, deadline, solver)
    bound = min(search.bound, search.best_cost) if keep.sum() >= p else search.best_cost
    optimal = search.best_cost <= bound + 1e-6 * max(1.0, abs(search.best_cost))
    return ExactResult(
        search.best, search.best_cost, bound, bool(optimal), time.perf_counter() - began,
        search.rounds, search.size[0], search.size[1], solver.name,
    )  # fmt: skip

"""Greedy opening and fast swap interchange for p-median-like objectives on sparse cost lists.

Maximal covering is the same problem with cost 0 inside the walking radius and 1 outside,
so one engine serves both objectives. Each demand row lists the sites it may use in
ascending cost order; a demand point none of whose listed sites is open pays `missing`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True)
class CostLists:
    """Sparse demand x site costs, CSR-like, each row sorted by ascending cost."""

    indptr: IntArray
    sites: IntArray
    cost: FloatArray
    weight: FloatArray
    missing: FloatArray
    n_sites: int

    @cached_property
    def row(self) -> IntArray:
        """The demand row of every entry."""
        return np.repeat(np.arange(self.weight.size, dtype=np.int64), np.diff(self.indptr))

    @cached_property
    def by_site(self) -> tuple[IntArray, IntArray]:
        """(pointer per site, entry indices grouped by site): the lists read column-wise."""
        order = np.argsort(self.sites, kind="stable").astype(np.int64)
        counts = np.bincount(self.sites, minlength=self.n_sites)
        pointer = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        return pointer, order

    def rows_of_site(self, site: int) -> IntArray:
        """Demand rows listing `site`."""
        pointer, order = self.by_site
        return self.row[order[pointer[site] : pointer[site + 1]]]


@dataclass(frozen=True)
class Nearest:
    """Per demand row: cost of the nearest open site, that site (-1: none listed), runner-up."""

    d1: FloatArray
    c1: IntArray
    d2: FloatArray


@dataclass(frozen=True)
class SearchResult:
    """Open sites found by greedy + interchange, with the model objective and effort."""

    is_open: BoolArray
    objective: float
    swaps: int
    rounds: int
    finished: bool


def nearest_two(lists: CostLists, is_open: BoolArray) -> Nearest:
    """Nearest and second-nearest open listed site for every demand row."""
    mask = is_open[lists.sites]
    csum = np.cumsum(mask)
    before = np.concatenate([[0], csum])[lists.indptr[:-1]]
    rank = csum - before[lists.row]
    d1 = lists.missing.copy()
    d2 = lists.missing.copy()
    c1 = np.full(lists.weight.size, -1, dtype=np.int64)
    first = mask & (rank == 1)
    second = mask & (rank == 2)
    d1[lists.row[first]] = lists.cost[first]
    c1[lists.row[first]] = lists.sites[first]
    d2[lists.row[second]] = lists.cost[second]
    return Nearest(d1, c1, d2)


def objective(lists: CostLists, is_open: BoolArray) -> float:
    """Weighted cost of serving every demand row from its nearest open site."""
    return float(lists.weight @ nearest_two(lists, is_open).d1)


def row_entries(indptr: IntArray, rows: IntArray) -> IntArray:
    """Indices of all entries of the given rows, concatenated."""
    starts = indptr[rows]
    lengths = indptr[rows + 1] - starts
    total = int(lengths.sum())
    offsets = np.repeat(starts - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
    return offsets + np.arange(total, dtype=np.int64)


def _gain_terms(lists: CostLists, entries: IntArray, d1: FloatArray) -> FloatArray:
    rows = lists.row[entries]
    return lists.weight[rows] * np.maximum(0.0, d1[rows] - lists.cost[entries])


def greedy_open(lists: CostLists, count: int, fixed: BoolArray) -> BoolArray:
    """Open the `fixed` sites, then repeatedly the site that lowers the cost most."""
    m = lists.n_sites
    d1 = lists.missing.copy()
    all_entries = np.arange(lists.sites.size, dtype=np.int64)
    gain = np.bincount(lists.sites, _gain_terms(lists, all_entries, d1), minlength=m)
    is_open = np.zeros(m, dtype=bool)
    pointer, order = lists.by_site
    for site in [*np.flatnonzero(fixed).tolist(), *[-1] * (count - int(fixed.sum()))]:
        if site < 0:
            site = int(np.argmax(np.where(is_open, -np.inf, gain)))
        is_open[site] = True
        column = order[pointer[site] : pointer[site + 1]]
        rows = lists.row[column]
        better = lists.cost[column] < d1[rows]
        touched = row_entries(lists.indptr, rows[better])
        old = _gain_terms(lists, touched, d1)
        d1[rows[better]] = lists.cost[column][better]
        delta = old - _gain_terms(lists, touched, d1)
        gain -= np.bincount(lists.sites[touched], delta, minlength=m)
    return is_open


@dataclass(frozen=True)
class _Moves:
    profit: FloatArray
    close: IntArray
    open: IntArray


def _swap_moves(lists: CostLists, is_open: BoolArray, fixed: BoolArray, top: int = 16) -> _Moves:
    """Every swap (close r, open j) whose profit may be positive (Whitaker / Resende-Werneck)."""
    m = lists.n_sites
    near = nearest_two(lists, is_open)
    row = lists.row
    wr = lists.weight[row]
    gain = np.bincount(lists.sites, wr * np.maximum(0.0, near.d1[row] - lists.cost), minlength=m)
    gain[is_open] = -np.inf
    served = near.c1 >= 0
    loss = np.bincount(
        near.c1[served], (lists.weight * (near.d2 - near.d1))[served], minlength=m
    ).astype(np.float64)
    loss[~is_open | fixed] = np.inf
    pick = (near.c1[row] >= 0) & (lists.cost < near.d2[row]) & ~is_open[lists.sites]
    value = wr[pick] * (near.d2[row[pick]] - np.maximum(lists.cost[pick], near.d1[row[pick]]))
    keys, inverse = np.unique(near.c1[row[pick]] * m + lists.sites[pick], return_inverse=True)
    extra = np.bincount(inverse.ravel(), value, minlength=keys.size)
    best_open = np.argsort(-gain)[:top]
    best_close = np.argsort(loss)[:top]
    pair_keys = (best_close[:, None] * m + best_open[None, :]).ravel()
    all_keys = np.union1d(keys, pair_keys)
    pair_extra = np.zeros(all_keys.size)
    if keys.size:  # no pair gains anything when no demand point could move (a tiny plan)
        slot = np.minimum(np.searchsorted(keys, all_keys), keys.size - 1)
        found = keys[slot] == all_keys
        pair_extra = np.where(found, extra[slot], 0.0)
    close, open_ = all_keys // m, all_keys % m
    profit = gain[open_] - loss[close] + pair_extra
    keep = np.isfinite(profit) & (profit > 0)
    order = np.argsort(-profit[keep])
    return _Moves(profit[keep][order], close[keep][order], open_[keep][order])


def _independent(lists: CostLists, moves: _Moves, limit: int) -> list[tuple[int, int]]:
    """The best moves whose demand rows do not overlap, so their profits add up exactly."""
    touched = np.zeros(lists.weight.size, dtype=bool)
    used: set[int] = set()
    chosen: list[tuple[int, int]] = []
    for close, open_ in zip(
        moves.close[: limit * 20].tolist(), moves.open[: limit * 20].tolist(), strict=True
    ):
        if close in used or open_ in used:
            continue
        rows = np.concatenate([lists.rows_of_site(close), lists.rows_of_site(open_)])
        if touched[rows].any():
            continue
        touched[rows] = True
        used.update((close, open_))
        chosen.append((close, open_))
        if len(chosen) >= limit:
            break
    return chosen


def interchange(
    lists: CostLists,
    is_open: BoolArray,
    fixed: BoolArray,
    seconds: float = 60.0,
    batch: int = 256,
) -> SearchResult:
    """Apply improving swaps, several independent ones a round, until none is left or time ends."""
    deadline = time.perf_counter() + seconds
    is_open = is_open.copy()
    current = objective(lists, is_open)
    swaps = rounds = 0
    while time.perf_counter() < deadline:
        moves = _swap_moves(lists, is_open, fixed)
        if moves.profit.size == 0 or moves.profit[0] <= 1e-9 * max(abs(current), 1.0):
            return SearchResult(is_open, current, swaps, rounds, True)
        rounds += 1
        trial = is_open.copy()
        chosen = _independent(lists, moves, batch)
        for close, open_ in chosen:
            trial[close], trial[open_] = False, True
        value = objective(lists, trial)
        if value >= current:  # rounding made the batch useless: fall back to the single best move
            chosen = [(int(moves.close[0]), int(moves.open[0]))]
            trial = is_open.copy()
            trial[chosen[0][0]], trial[chosen[0][1]] = False, True
            value = objective(lists, trial)
            if value >= current:
                return SearchResult(is_open, current, swaps, rounds, True)
        is_open, current, swaps = trial, value, swaps + len(chosen)
    return SearchResult(is_open, current, swaps, rounds, False)

"""OR-Library p-median instances (Beasley): read the graph, all-pairs distances, solve exactly."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import shortest_path

from vitrine.lockers.planning.inputs import PlanningInputError
from vitrine.lockers.planning.interchange import greedy_open, interchange
from vitrine.lockers.planning.neighbours import lists_from_matrix
from vitrine.lockers.planning.pmedian import ExactResult, solve_pmedian_exact
from vitrine.lockers.planning.textbook import solve_pmedian_textbook

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class OrlibInstance:
    """A p-median instance: shortest-path distances between all vertices, and p."""

    name: str
    p: int
    distance: FloatArray

    @property
    def n(self) -> int:
        return int(self.distance.shape[0])


def _header(tokens: list[str], path: Path) -> tuple[int, int, int]:
    try:
        n, m, p = (int(t) for t in tokens[:3])
    except ValueError:
        raise PlanningInputError(f"{path} line 1: expected 'n m p' integers") from None
    if n <= 0 or p <= 0 or p > n:
        raise PlanningInputError(f"{path} line 1: need 0 < p <= n, got n={n} p={p}")
    return n, m, p


def _edges(lines: list[str], n: int, path: Path) -> dict[tuple[int, int], float]:
    edges: dict[tuple[int, int], float] = {}
    for number, line in enumerate(lines, start=2):
        parts = line.split()
        if not parts:
            continue
        try:
            i, j, cost = int(parts[0]), int(parts[1]), float(parts[2])
        except (ValueError, IndexError):
            raise PlanningInputError(f"{path} line {number}: expected 'i j cost'") from None
        if not (1 <= i <= n and 1 <= j <= n) or cost < 0:
            raise PlanningInputError(f"{path} line {number}: bad edge {i} {j} {cost}")
        key = (min(i, j) - 1, max(i, j) - 1)
        edges.pop(key, None)
        edges[key] = cost  # the last occurrence of an edge counts (OR-Library convention)
    return edges


def read_orlib(path: str | Path) -> OrlibInstance:
    """Parse `n m p` then m lines `i j cost`; distances are shortest paths over the graph."""
    path = Path(path)
    lines = path.read_text().splitlines()
    if not lines:
        raise PlanningInputError(f"{path}: empty file")
    n, _, p = _header(lines[0].split(), path)
    edges = _edges(lines[1:], n, path)
    ij = np.array(list(edges), dtype=np.int64).reshape(-1, 2)
    cost = np.array(list(edges.values()), dtype=np.float64)
    graph = coo_matrix((cost, (ij[:, 0], ij[:, 1])), shape=(n, n)).tocsr()
    distance = shortest_path(graph, method="D", directed=False)
    if not np.isfinite(distance).all():
        raise PlanningInputError(f"{path}: the graph is not connected")
    return OrlibInstance(path.stem, p, distance)


@dataclass(frozen=True)
class OrlibResult:
    """Our answer on one instance: medians (1-based), objective, proof, time, and how."""

    instance: str
    n: int
    p: int
    objective: float
    lower_bound: float
    proven: bool
    seconds: float
    heuristic_objective: float
    medians: list[int]
    method: str

    @property
    def gap(self) -> float:
        """(objective - lower_bound) / objective: 0 when proven optimal."""
        return max(0.0, self.objective - self.lower_bound) / max(abs(self.objective), 1e-9)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready summary, what the CLI's --json prints."""
        return {
            "instance": self.instance,
            "objective": _number(self.objective),
            "lower_bound": _number(self.lower_bound),
            "gap": round(self.gap, 6),
            "proven": self.proven,
            "seconds": round(self.seconds, 3),
            "n": self.n,
            "p": self.p,
            "heuristic_objective": self.heuristic_objective,
            "medians": self.medians,
            "method": self.method,
        }


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def solve_orlib_pmedian(path: str | Path, seconds: float = 600.0) -> OrlibResult:
    """Heuristic upper bound (greedy + fast interchange), then the radius MIP proves optimality."""
    began = time.perf_counter()
    instance = read_orlib(path)
    weight = np.ones(instance.n)
    fixed = np.zeros(instance.n, dtype=bool)
    lists = lists_from_matrix(instance.distance, weight)
    heuristic = interchange(
        lists, greedy_open(lists, instance.p, fixed), fixed, seconds=seconds / 4
    )
    exact = solve_pmedian_exact(
        instance.distance,
        weight,
        instance.p,
        heuristic.is_open,
        fixed,
        seconds=max(1.0, seconds - (time.perf_counter() - began)),
    )
    return OrlibResult(
        instance=instance.name,
        n=instance.n,
        p=instance.p,
        objective=round(exact.objective, 6),
        lower_bound=round(exact.bound, 6),
        proven=exact.optimal,
        seconds=time.perf_counter() - began,
        heuristic_objective=heuristic.objective,
        medians=(np.flatnonzero(exact.is_open) + 1).tolist(),
        method=f"greedy + interchange, then {exact.solver} ({exact.rounds} MIP rounds)",
    )


def solve_orlib_textbook(path: str | Path, seconds: float = 600.0) -> ExactResult:
    """The plain x_ij assignment MIP on the same instance, for comparison."""
    instance = read_orlib(path)
    return solve_pmedian_textbook(
        instance.distance, np.ones(instance.n), instance.p, seconds=seconds
    )

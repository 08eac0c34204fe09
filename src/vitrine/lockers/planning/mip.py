"""Mixed-integer programs in plain sparse form, and the solvers behind one small interface.

The engines (HiGHS, OR-Tools) are imported only when a solve is asked for. Their native
libraries cannot both be loaded in one process (whichever comes second fails to import), so
HiGHS (highspy) is the engine of the core install and OR-Tools an optional extra
(`vitrine[ortools]`), used only by a process that never loads highspy.
"""

from __future__ import annotations

import importlib.util
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csc_matrix

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True)
class LinearModel:
    """minimize cost @ x  s.t.  row_lower <= A x <= row_upper, col bounds, some columns integer."""

    cost: FloatArray
    matrix: csc_matrix
    row_lower: FloatArray
    row_upper: FloatArray
    col_lower: FloatArray
    col_upper: FloatArray
    integer: BoolArray


@dataclass(frozen=True)
class MipSolution:
    """What a solver proved: the best solution found, its objective and the lower bound."""

    x: FloatArray
    objective: float
    bound: float
    optimal: bool
    seconds: float
    status: str
    reduced_cost: FloatArray = field(default_factory=lambda: np.empty(0))

    @property
    def gap(self) -> float:
        """Relative gap between solution and bound (0 when proven optimal)."""
        if not np.isfinite(self.objective):
            return float("inf")
        return max(0.0, self.objective - self.bound) / max(abs(self.objective), 1e-9)


class MipSolver(Protocol):
    """Solves a LinearModel within a time limit, optionally from a known solution."""

    name: str

    def solve(
        self, model: LinearModel, seconds: float, start: FloatArray | None = None
    ) -> MipSolution:
        """Minimise; `start` is a feasible point the solver may use as incumbent."""
        ...


class HighsSolver:
    """HiGHS through highspy, single-threaded, silent."""

    name = "HiGHS"

    def __init__(self, options: dict[str, float | int | str] | None = None) -> None:
        self.options = dict(options or {})

    @staticmethod
    def is_available() -> bool:
        """Installed, and OR-Tools not loaded (their native libraries clash in one process)."""
        return importlib.util.find_spec("highspy") is not None and not _loaded("ortools")

    def solve(
        self, model: LinearModel, seconds: float, start: FloatArray | None = None
    ) -> MipSolution:
        import highspy

        began = time.perf_counter()
        highs = highspy.Highs()
        highs.setOptionValue("output_flag", False)
        highs.setOptionValue("threads", 1)
        highs.setOptionValue("time_limit", float(seconds))
        highs.setOptionValue("mip_rel_gap", 1e-9)
        for key, value in self.options.items():
            highs.setOptionValue(key, value)
        highs.passModel(_highs_lp(highspy, model))
        if start is not None:
            solution = highspy.HighsSolution()
            solution.col_value = list(map(float, start))
            highs.setSolution(solution)
        highs.run()
        return _highs_result(highspy, highs, model, time.perf_counter() - began)


def _highs_lp(highspy: Any, model: LinearModel) -> Any:
    lp = highspy.HighsLp()
    matrix = model.matrix.tocsc()
    lp.num_col_, lp.num_row_ = matrix.shape[1], matrix.shape[0]
    lp.col_cost_ = model.cost
    lp.col_lower_, lp.col_upper_ = model.col_lower, model.col_upper
    lp.row_lower_, lp.row_upper_ = model.row_lower, model.row_upper
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = matrix.indptr
    lp.a_matrix_.index_ = matrix.indices
    lp.a_matrix_.value_ = matrix.data
    kinds = highspy.HighsVarType
    lp.integrality_ = [kinds.kInteger if flag else kinds.kContinuous for flag in model.integer]
    return lp


def _highs_result(highspy: Any, highs: Any, model: LinearModel, seconds: float) -> MipSolution:
    status = highs.getModelStatus()
    info = highs.getInfo()
    has_integers = bool(model.integer.any())
    x = np.asarray(highs.getSolution().col_value, dtype=np.float64)
    optimal = status == highspy.HighsModelStatus.kOptimal
    value = float(info.objective_function_value) if x.size else float("inf")
    bound = float(info.mip_dual_bound) if has_integers else value
    if not has_integers and not optimal:
        bound = -float("inf")
    text = highs.modelStatusToString(status)
    duals = highs.getSolution().col_dual if optimal and not has_integers else []
    reduced = np.asarray(duals, dtype=np.float64)
    return MipSolution(x, value, bound, bool(optimal), seconds, str(text), reduced)


class OrToolsSolver:
    """SCIP (or CBC) through OR-Tools' linear solver wrapper; row by row, so for small models."""

    name = "OR-Tools"

    def __init__(self, backend: str = "SCIP") -> None:
        self.backend = backend
        self.name = f"OR-Tools {backend}"

    @staticmethod
    def is_available() -> bool:
        """Installed, and highspy not loaded (their native libraries clash in one process)."""
        return importlib.util.find_spec("ortools") is not None and not _loaded("highspy")

    def solve(
        self, model: LinearModel, seconds: float, start: FloatArray | None = None
    ) -> MipSolution:
        from ortools.linear_solver import pywraplp

        began = time.perf_counter()
        solver = pywraplp.Solver.CreateSolver(self.backend)
        solver.SetTimeLimit(int(seconds * 1000))
        solver.SetNumThreads(1)
        variables = [
            solver.Var(float(lo), float(up), bool(flag), "")
            for lo, up, flag in zip(model.col_lower, model.col_upper, model.integer, strict=True)
        ]
        rows = model.matrix.tocsr()
        for r in range(rows.shape[0]):
            span = slice(rows.indptr[r], rows.indptr[r + 1])
            row = solver.RowConstraint(float(model.row_lower[r]), float(model.row_upper[r]), "")
            for c, v in zip(rows.indices[span], rows.data[span], strict=True):
                row.SetCoefficient(variables[c], float(v))
        goal = solver.Objective()
        for var, c in zip(variables, model.cost, strict=True):
            goal.SetCoefficient(var, float(c))
        if start is not None:
            solver.SetHint(variables, list(map(float, start)))
        status = solver.Solve()
        found = status in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE)
        x = np.array([v.solution_value() for v in variables]) if found else np.empty(0)
        value = goal.Value() if found else float("inf")
        bound = goal.BestBound() if found else -float("inf")
        optimal = status == pywraplp.Solver.OPTIMAL
        return MipSolution(x, value, bound, optimal, time.perf_counter() - began, str(status))


def _loaded(module: str) -> bool:
    return module in sys.modules


def default_solver() -> MipSolver:
    """HiGHS when installed, else OR-Tools."""
    return HighsSolver() if HighsSolver.is_available() else OrToolsSolver()


# With a near-optimal incumbent given, search effort is better spent on the bound: no primal
# heuristics, and pseudocost branching without strong branching (2.5x faster on n=900, p=10).
PROOF_OPTIONS: dict[str, float | int | str] = {
    "mip_heuristic_effort": 0.0,
    "mip_pscost_minreliable": 0,
}


def proof_solver() -> MipSolver:
    """The solver for proving a heuristic solution optimal."""
    return HighsSolver(PROOF_OPTIONS) if HighsSolver.is_available() else OrToolsSolver()

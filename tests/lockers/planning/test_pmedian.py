"""Exact p-median (radius formulation and textbook MIP) against brute force."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest

from vitrine.lockers.planning.mip import HighsSolver
from vitrine.lockers.planning.pmedian import cost_of, solve_pmedian_exact
from vitrine.lockers.planning.textbook import solve_pmedian_textbook


def brute_force(distance: np.ndarray, weight: np.ndarray, p: int, fixed: list[int]) -> float:
    m = distance.shape[1]
    best = np.inf
    for chosen in combinations(range(m), p):
        if set(fixed) <= set(chosen):
            best = min(best, float(weight @ distance[:, list(chosen)].min(axis=1)))
    return best


def instance(seed: int, n: int = 14, m: int = 11) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    demand, sites = rng.uniform(0, 100, (n, 2)), rng.uniform(0, 100, (m, 2))
    distance = np.round(np.linalg.norm(demand[:, None] - sites[None], axis=2))
    return distance, rng.integers(1, 5, n).astype(np.float64)


@pytest.mark.parametrize(("seed", "p"), [(1, 2), (2, 3), (3, 4), (4, 6)])
def test_radius_formulation_finds_the_brute_force_optimum(seed: int, p: int) -> None:
    distance, weight = instance(seed)
    start = np.zeros(distance.shape[1], bool)
    start[:p] = True  # a poor start: the MIP has to do the work
    result = solve_pmedian_exact(distance, weight, p, start)
    assert result.optimal
    assert result.objective == pytest.approx(brute_force(distance, weight, p, []))
    assert result.objective == pytest.approx(cost_of(distance, weight, result.is_open))
    assert int(result.is_open.sum()) == p


def test_fixed_sites_stay_open_and_the_rest_is_optimal() -> None:
    distance, weight = instance(7)
    fixed = np.zeros(distance.shape[1], bool)
    fixed[[0, 5]] = True
    start = fixed.copy()
    start[1] = True
    result = solve_pmedian_exact(distance, weight, 3, start, fixed)
    assert result.is_open[[0, 5]].all()
    assert result.objective == pytest.approx(brute_force(distance, weight, 3, [0, 5]))


def test_textbook_mip_agrees() -> None:
    distance, weight = instance(5, n=10, m=8)
    result = solve_pmedian_textbook(distance, weight, 3, solver=HighsSolver(), seconds=30)
    assert result.optimal
    assert result.objective == pytest.approx(brute_force(distance, weight, 3, []))


ORTOOLS_SCRIPT = """
import numpy as np
from vitrine.lockers.planning.mip import OrToolsSolver
from vitrine.lockers.planning.pmedian import solve_pmedian_exact
from vitrine.lockers.planning.textbook import solve_pmedian_textbook
from tests.lockers.planning.test_pmedian import instance
distance, weight = instance(6, n=10, m=8)
start = np.zeros(8, bool)
start[:3] = True
radius = solve_pmedian_exact(distance, weight, 3, start, solver=OrToolsSolver())
textbook = solve_pmedian_textbook(distance, weight, 3, solver=OrToolsSolver(), seconds=30)
print(radius.optimal, radius.objective, textbook.optimal, textbook.objective)
"""


def test_the_ortools_solver_gives_the_same_optimum_in_its_own_process() -> None:
    # OR-Tools and highspy cannot share a process (clashing native HiGHS symbols); OR-Tools is
    # the optional extra vitrine[ortools], part of the test extra.
    if importlib.util.find_spec("ortools") is None:
        pytest.skip("OR-Tools is not installed (pip install 'vitrine[ortools]')")
    root = Path(__file__).resolve().parents[3]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root / "src"), str(root)])}
    done = subprocess.run(
        [sys.executable, "-c", ORTOOLS_SCRIPT], capture_output=True, text=True, env=env, check=True
    )
    radius_ok, radius_value, textbook_ok, textbook_value = done.stdout.split()
    distance, weight = instance(6, n=10, m=8)
    best = brute_force(distance, weight, 3, [])
    assert (radius_ok, textbook_ok) == ("True", "True")
    assert float(radius_value) == pytest.approx(best)
    assert float(textbook_value) == pytest.approx(best)


def test_the_time_budget_is_kept_and_the_answer_stays_consistent() -> None:
    distance, weight = instance(9, n=300, m=300)
    start = np.zeros(300, bool)
    start[:5] = True
    result = solve_pmedian_exact(distance, weight, 5, start, seconds=1.0)
    assert result.seconds < 6.0
    assert result.bound <= result.objective + 1e-6
    assert result.objective <= cost_of(distance, weight, start)
    assert result.objective == pytest.approx(cost_of(distance, weight, result.is_open))

"""OR-Library p-median files: parsing (last duplicate edge wins), shortest paths, proven optimum."""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import numpy as np
import pytest

from vitrine.lockers.planning.commands import pmedian_lines, run_pmedian_command
from vitrine.lockers.planning.inputs import PlanningInputError
from vitrine.lockers.planning.orlib import read_orlib, solve_orlib_pmedian, solve_orlib_textbook

TINY = Path(__file__).parent / "data" / "tiny_pmed.txt"


def floyd_warshall_from_text(text: str) -> tuple[np.ndarray, int]:
    lines = text.split("\n")
    n, _, p = (int(t) for t in lines[0].split())
    distance = np.full((n, n), np.inf)
    np.fill_diagonal(distance, 0)
    edges = {}
    for line in lines[1:]:
        if line.strip():
            i, j, c = (int(t) for t in line.split())
            edges[frozenset((i - 1, j - 1))] = c
    for pair, c in edges.items():
        i, j = tuple(pair)
        distance[i, j] = distance[j, i] = c
    for k in range(n):
        distance = np.minimum(distance, distance[:, k : k + 1] + distance[k : k + 1, :])
    return distance, p


def test_tiny_instance_reaches_the_brute_force_optimum() -> None:
    distance, p = floyd_warshall_from_text(TINY.read_text())
    optimum = min(distance[:, list(c)].min(axis=1).sum() for c in combinations(range(12), p))
    result = solve_orlib_pmedian(TINY)
    assert result.proven
    assert result.lower_bound == result.objective == optimum
    assert len(result.medians) == p
    assert solve_orlib_textbook(TINY).objective == pytest.approx(optimum)


def test_the_last_occurrence_of_an_edge_counts() -> None:
    instance = read_orlib(TINY)
    assert instance.distance[0, 1] == 5  # "1 2 7" then "1 2 5"
    assert instance.distance[1, 2] == 28  # "2 3 4" became "2 3 40": 2-8-9-3 is shorter
    expected, _ = floyd_warshall_from_text(TINY.read_text())
    assert np.array_equal(instance.distance, expected)


def test_command_result_has_what_the_cli_prints() -> None:
    result = run_pmedian_command(TINY)
    assert {"instance", "objective", "lower_bound", "gap", "proven", "seconds"} <= set(result)
    assert result["proven"] is True
    assert result["gap"] == 0.0
    assert result["instance"] == "tiny_pmed"
    assert pmedian_lines(result)[1].endswith("(proven optimal)")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty file"),
        ("4 2 5\n1 2 3\n", "need 0 < p <= n"),
        ("4 2 x\n", "expected 'n m p'"),
        ("3 2 1\n1 2 3\n2 q 4\n", "line 3: expected 'i j cost'"),
        ("3 2 1\n1 2 3\n2 7 4\n", "line 3: bad edge"),
        ("3 1 1\n1 2 3\n", "not connected"),
    ],
)
def test_bad_orlib_files_are_refused(tmp_path: Path, text: str, reason: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_text(text)
    with pytest.raises(PlanningInputError, match=reason):
        read_orlib(path)

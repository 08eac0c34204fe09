"""Every bad input the issue names is refused with the line and the reason."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vitrine.lockers.planning.inputs import (
    PlanningInputError,
    candidates_from_rows,
    check_count,
    demand_from_rows,
)
from vitrine.lockers.planning.sites_io import read_candidates_csv, read_demand_csv


def write(tmp_path: Path, text: str, name: str = "demand.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("48.85,,1", "line 3: missing longitude"),
        (",2.35,1", "line 3: missing latitude"),
        ("north,2.35,1", "line 3: latitude is not a number: 'north'"),
        ("48.85,east,1", "line 3: longitude is not a number: 'east'"),
        ("91.0,2.35,1", "line 3: latitude out of range"),
        ("48.85,181,1", "line 3: longitude out of range"),
        ("48.85,2.35,-2", "line 3: negative weight"),
        ("48.85,2.35,many", "line 3: weight is not a number"),
        ("nan,2.35,1", "line 3: latitude is not a finite number"),
    ],
)
def test_bad_demand_line_is_named(tmp_path: Path, line: str, reason: str) -> None:
    path = write(tmp_path, f"lat,lon,weight\n48.80,2.30,1\n{line}\n")
    with pytest.raises(PlanningInputError, match=reason):
        read_demand_csv(path)


def test_empty_demand_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PlanningInputError, match="no demand points"):
        read_demand_csv(write(tmp_path, "lat,lon,weight\n"))
    with pytest.raises(PlanningInputError, match="empty file"):
        read_demand_csv(write(tmp_path, ""))
    with pytest.raises(PlanningInputError, match="no demand points"):
        demand_from_rows([])


def test_header_without_coordinates_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PlanningInputError, match="line 1: header needs lat and lon"):
        read_demand_csv(write(tmp_path, "x,y\n1,2\n"))


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(PlanningInputError, match="no such file"):
        read_demand_csv(tmp_path / "nowhere.csv")


def test_demand_csv_reads_weights_and_defaults(tmp_path: Path) -> None:
    demand = read_demand_csv(write(tmp_path, "Latitude,Longitude,weight\n48.8,2.3,3\n48.9,2.4,\n"))
    assert demand.lat.tolist() == [48.8, 48.9]
    assert demand.lon.tolist() == [2.3, 2.4]
    assert demand.weight.tolist() == [3.0, 1.0]


def test_candidates_csv_reads_ids_capacity_and_cost(tmp_path: Path) -> None:
    text = "id,lat,lon,capacity,fixed_cost\nA,48.8,2.3,50,1200\n,48.9,2.4,,\n"
    sites = read_candidates_csv(write(tmp_path, text, "sites.csv"))
    assert sites.ids == ["A", "site-2"]
    assert sites.capacity.tolist() == [50.0, np.inf]
    assert sites.fixed_cost.tolist() == [1200.0, 0.0]


def test_bad_candidate_line_is_named(tmp_path: Path) -> None:
    text = "id,lat,lon,capacity\nA,48.8,2.3,50\nB,-95,2.4,10\n"
    with pytest.raises(PlanningInputError, match=r"sites.csv line 3: latitude out of range"):
        read_candidates_csv(write(tmp_path, text, "sites.csv"))
    with pytest.raises(PlanningInputError, match="line 2: negative capacity"):
        candidates_from_rows([{"lat": 1, "lon": 2, "capacity": -1}], first_line=2)


def test_plain_lists_are_accepted() -> None:
    demand = demand_from_rows([(48.8, 2.3), (48.81, 2.31, 4)])
    assert demand.weight.tolist() == [1.0, 4.0]
    sites = candidates_from_rows([{"lat": 48.8, "lon": 2.3, "name": "Gare"}])
    assert sites.ids == ["Gare"]
    assert sites.capacity.tolist() == [np.inf]


@pytest.mark.parametrize(
    ("count", "reason"),
    [
        (0, "must be positive, got 0"),
        (-3, "must be positive, got -3"),
        (6, "6 is larger than the number of candidates 5"),
    ],
)
def test_bad_site_count_is_refused(count: int, reason: str) -> None:
    with pytest.raises(PlanningInputError, match=reason):
        check_count(count, candidates=5)

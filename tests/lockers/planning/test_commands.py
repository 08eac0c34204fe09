"""run_plan_command: CSV in, CSV + GeoJSON + PNG out, summary lines."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from tests.lockers.planning.conftest import town
from vitrine.lockers.planning.commands import run_plan_command
from vitrine.lockers.planning.planner import plan_summary


def write_inputs(tmp_path: Path) -> tuple[Path, Path, Path]:
    demand, sites = town(seed=8, demand=80, sites=12)
    demand_csv, sites_csv, existing_csv = (tmp_path / n for n in ("d.csv", "c.csv", "e.csv"))
    rows = zip(demand.lat, demand.lon, demand.weight, strict=True)
    demand_csv.write_text("lat,lon,weight\n" + "".join(f"{a},{b},{w}\n" for a, b, w in rows))
    spots = list(zip(sites.ids, sites.lat, sites.lon, strict=True))
    sites_csv.write_text("id,lat,lon\n" + "".join(f"{i},{a},{b}\n" for i, a, b in spots[1:]))
    existing_csv.write_text("id,lat,lon\n" + "".join(f"{i},{a},{b}\n" for i, a, b in spots[:1]))
    return demand_csv, sites_csv, existing_csv


def test_plan_command_writes_sites_and_a_map(tmp_path: Path) -> None:
    demand_csv, sites_csv, existing_csv = write_inputs(tmp_path)
    out = tmp_path / "out"
    plan = run_plan_command(demand_csv, sites_csv, 3, "coverage", 400.0, False, existing_csv, out)
    with (out / "sites.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0]["id"] == "s0"
    assert [r["existing"] for r in rows] == ["True", "False", "False"]
    geo = json.loads((out / "sites.geojson").read_text())
    assert geo["type"] == "FeatureCollection"
    assert len(geo["features"]) == 3
    lon, lat = geo["features"][0]["geometry"]["coordinates"]
    assert (lat, lon) == (float(rows[0]["lat"]), float(rows[0]["lon"]))
    assert (out / "map.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert set(plan.files) == {"csv", "geojson", "map"}
    lines = plan_summary(plan)
    assert lines[0] == "sites chosen: 3 (1 existing kept, 2 new)"
    assert any(line.startswith("coverage within 400 m:") for line in lines)

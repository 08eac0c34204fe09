"""Read demand and candidate CSV files; write chosen sites as CSV and GeoJSON."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import TYPE_CHECKING

from vitrine.lockers.planning.inputs import (
    CandidateSites,
    DemandPoints,
    PlanningInputError,
    candidates_from_rows,
    demand_from_rows,
)

if TYPE_CHECKING:
    from vitrine.lockers.planning.planner import LockerPlan


def _rows(path: Path) -> list[dict[str, str]]:
    """CSV rows keyed by lower-case header; the header is line 1 so data starts on line 2."""
    if not path.is_file():
        raise PlanningInputError(f"{path}: no such file")
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None:
            raise PlanningInputError(f"{path}: empty file (a header line is expected)")
        headers = [name.strip().lower() for name in reader.fieldnames]
        if not {"lat", "latitude"} & set(headers) or not {"lon", "lng", "long", "longitude"} & set(
            headers
        ):
            raise PlanningInputError(f"{path} line 1: header needs lat and lon columns")
        reader.fieldnames = headers
        return [dict(row) for row in reader]


def read_demand_csv(path: str | Path) -> DemandPoints:
    """Columns lat, lon and optional weight (default 1)."""
    path = Path(path)
    return demand_from_rows(_rows(path), source=str(path), first_line=2)


def read_candidates_csv(path: str | Path) -> CandidateSites:
    """Columns lat, lon and optional id (or name), capacity, fixed_cost."""
    path = Path(path)
    return candidates_from_rows(_rows(path), source=str(path), first_line=2)


def _site_records(plan: LockerPlan) -> list[dict[str, object]]:
    sites = plan.sites
    return [
        {
            "id": sites.ids[k],
            "lat": round(float(sites.lat[k]), 7),
            "lon": round(float(sites.lon[k]), 7),
            "existing": plan.existing[k],
            "demand_served": round(plan.site_load[k], 3),
            "capacity": None if sites.capacity[k] == float("inf") else float(sites.capacity[k]),
            "fixed_cost": float(sites.fixed_cost[k]),
        }
        for k in range(len(sites))
    ]


def write_sites_csv(plan: LockerPlan, path: str | Path) -> Path:
    """One row per chosen site."""
    path = Path(path)
    records = _site_records(plan)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(records[0]))
        writer.writeheader()
        writer.writerows({k: "" if v is None else v for k, v in r.items()} for r in records)
    return path


def write_sites_geojson(plan: LockerPlan, path: str | Path) -> Path:
    """A FeatureCollection of points (lon, lat order, as GeoJSON wants) with the plan's figures."""
    path = Path(path)
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [r["lon"], r["lat"]]},
            "properties": {k: v for k, v in r.items() if k not in ("lat", "lon")},
        }
        for r in _site_records(plan)
    ]
    summary = {
        "objective": plan.objective,
        "radius_m": plan.radius_m,
        "coverage_pct": round(plan.coverage_pct, 4),
        "mean_distance_m": round(plan.mean_distance_m, 1),
        "p90_distance_m": round(plan.p90_distance_m, 1),
        "method": plan.method,
    }
    collection = {"type": "FeatureCollection", "properties": summary, "features": features}
    path.write_text(json.dumps(collection, indent=1), encoding="utf-8")
    return path

"""Entry points for the `vitrine lockers` commands: plain functions, no printing, plain results."""

from __future__ import annotations

from pathlib import Path

from vitrine.lockers.planning.map_picture import draw_plan_map
from vitrine.lockers.planning.orlib import solve_orlib_pmedian
from vitrine.lockers.planning.planner import LockerPlan, Objective, PlanLimits, plan_sites
from vitrine.lockers.planning.sites_io import (
    read_candidates_csv,
    read_demand_csv,
    write_sites_csv,
    write_sites_geojson,
)


def run_plan_command(
    demand_csv: str | Path,
    candidates_csv: str | Path,
    count: int,
    objective: Objective = "coverage",
    radius_m: float = 500.0,
    capacitated: bool = False,
    existing_csv: str | Path | None = None,
    out_dir: str | Path = "locker-plan",
    limits: PlanLimits | None = None,
) -> LockerPlan:
    """Read the CSVs, plan, write sites.csv, sites.geojson and map.png; `plan.files` lists them."""
    demand = read_demand_csv(demand_csv)
    candidates = read_candidates_csv(candidates_csv)
    existing = read_candidates_csv(existing_csv) if existing_csv else None
    plan = plan_sites(demand, candidates, count, objective, radius_m, capacitated, existing, limits)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    plan.files = {
        "csv": str(write_sites_csv(plan, out / "sites.csv")),
        "geojson": str(write_sites_geojson(plan, out / "sites.geojson")),
        "map": str(draw_plan_map(plan, demand, candidates, out / "map.png")),
    }
    return plan


def run_pmedian_command(path: str | Path, seconds: float = 600.0) -> dict[str, object]:
    """Solve an OR-Library p-median file; the dict has instance, objective, seconds and more."""
    return solve_orlib_pmedian(path, seconds=seconds).as_dict()


def pmedian_lines(result: dict[str, object]) -> list[str]:
    """Human-readable lines for a p-median result (the CLI prints them, then JSON if asked)."""
    state = (
        "proven optimal"
        if result["proven"]
        else f"not proven: lower bound {result['lower_bound']}, gap {result['gap']:.4%}"
    )
    return [
        f"instance {result['instance']}: n={result['n']} p={result['p']}",
        f"objective {result['objective']:g} ({state})",
        f"seconds {result['seconds']}",
    ]

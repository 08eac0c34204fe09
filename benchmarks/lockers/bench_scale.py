"""Plan 650 lockers from 20,000 candidates for 1,000,000 delivery points (generated, city-like).

PYTHONPATH=src python benchmarks/lockers/bench_scale.py --objective coverage
PYTHONPATH=src python benchmarks/lockers/bench_scale.py --objective distance --existing 60
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import numpy as np
from city_data import city_candidates, city_demand
from hardware import hardware_line

from vitrine.lockers.planning.geo import haversine_m
from vitrine.lockers.planning.inputs import CandidateSites
from vitrine.lockers.planning.map_picture import _busiest, draw_plan_map
from vitrine.lockers.planning.planner import PlanLimits, plan_sites, plan_summary
from vitrine.lockers.planning.sites_io import write_sites_csv, write_sites_geojson


def split_existing(
    candidates: CandidateSites, lat: float, lon: float, count: int
) -> tuple[CandidateSites, CandidateSites]:
    """Every 20th of the 20 x `count` candidates nearest (lat, lon) already has a locker."""
    order = np.argsort(haversine_m(candidates.lat, candidates.lon, lat, lon))
    taken = np.zeros(order.size, dtype=bool)
    taken[order[: 20 * count : 20]] = True
    return candidates.subset(np.flatnonzero(~taken)), candidates.subset(np.flatnonzero(taken))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--demand", type=int, default=1_000_000)
    parser.add_argument("--candidates", type=int, default=20_000)
    parser.add_argument("--count", type=int, default=650)
    parser.add_argument("--existing", type=int, default=0)
    parser.add_argument("--objective", choices=["coverage", "distance"], default="coverage")
    parser.add_argument("--radius", type=float, default=500.0)
    parser.add_argument("--capacitated", action="store_true")
    parser.add_argument("--search-seconds", type=float, default=420.0)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/out/scale"))
    args = parser.parse_args()
    print(f"hardware: {hardware_line()}")
    began = time.perf_counter()
    demand = city_demand(args.demand, seed=1)
    candidates = city_candidates(args.candidates, seed=2)
    existing = None
    if args.existing:
        candidates, existing = split_existing(candidates, *_busiest(demand), args.existing)
    seconds = time.perf_counter() - began
    print(f"generated {len(demand)} demand points, {args.candidates} candidates in {seconds:.1f} s")
    limits = PlanLimits(search_seconds=args.search_seconds)
    plan = plan_sites(
        demand,
        candidates,
        args.count,
        args.objective,
        args.radius,
        args.capacitated,
        existing,
        limits,
    )
    print("\n".join(plan_summary(plan)))
    began = time.perf_counter()
    args.out.mkdir(parents=True, exist_ok=True)
    name = f"{args.objective}_{args.count}"
    write_sites_csv(plan, args.out / f"{name}.csv")
    write_sites_geojson(plan, args.out / f"{name}.geojson")
    draw_plan_map(plan, demand, candidates, args.out / f"{name}.png", title="Generated country")
    print(f"outputs written to {args.out}/{name}.* in {time.perf_counter() - began:.1f} s")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"peak memory: {peak:.2f} GiB")


if __name__ == "__main__":
    main()

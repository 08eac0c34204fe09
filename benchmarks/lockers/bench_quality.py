"""How far the large-scale heuristics are from the proven optimum, on instances both can solve.

PYTHONPATH=src:benchmarks/lockers python benchmarks/lockers/bench_quality.py
"""

from __future__ import annotations

import argparse
import time

from city_data import city_candidates, city_demand
from hardware import hardware_line

from vitrine.lockers.planning import planner
from vitrine.lockers.planning.inputs import CandidateSites, DemandPoints
from vitrine.lockers.planning.planner import LockerPlan, Objective, plan_sites


def run(
    demand: DemandPoints, sites: CandidateSites, count: int, objective: Objective, heuristic: bool
) -> LockerPlan:
    """One plan, forcing the heuristic path by setting the exact-size limits to zero."""
    saved = planner.EXACT_PMEDIAN_CELLS, planner.EXACT_COVERING_ENTRIES
    if heuristic:
        planner.EXACT_PMEDIAN_CELLS = planner.EXACT_COVERING_ENTRIES = 0
    try:
        return plan_sites(demand, sites, count, objective)
    finally:
        planner.EXACT_PMEDIAN_CELLS, planner.EXACT_COVERING_ENTRIES = saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--demand", type=int, default=3000)
    parser.add_argument("--candidates", type=int, default=400)
    parser.add_argument("--counts", default="10,30,60")
    args = parser.parse_args()
    print(f"# {hardware_line()}")
    print("| objective | N | exact | exact s | heuristic | heuristic s | heuristic / exact |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    demand = city_demand(args.demand, cities=6, rural=0.0, seed=3)
    sites = city_candidates(args.candidates, cities=6, seed=4)
    for objective in ("distance", "coverage"):
        for count in map(int, args.counts.split(",")):
            row = []
            for heuristic in (False, True):
                began = time.perf_counter()
                plan = run(demand, sites, count, objective, heuristic)
                value = plan.mean_distance_m if objective == "distance" else plan.coverage_pct
                row += [value, time.perf_counter() - began]
            unit = "m mean" if objective == "distance" else "% covered"
            print(
                f"| {objective} | {count} | {row[0]:.1f} {unit} | {row[1]:.2f}"
                f" | {row[2]:.1f} {unit} | {row[3]:.2f} | {row[2] / row[0]:.4f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()

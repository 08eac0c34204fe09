"""Maximal covering: heuristic + Lagrangian upper bound against the textbook MIP in the same time.

PYTHONPATH=src:benchmarks/lockers python benchmarks/lockers/bench_covering.py --demand 200000

The textbook MIP (max sum w_i u_i, u_i <= sum of y_j within the radius, sum y = N; HiGHS, no
start) gets the seconds our side took; both report covered weight, upper bound and gap.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from city_data import city_candidates, city_demand
from hardware import hardware_line
from scipy.spatial import cKDTree

from vitrine.lockers.planning.covering import (
    covered_weight,
    covering_model,
    covering_upper_bound,
)
from vitrine.lockers.planning.geo import aggregate_points, to_xyz
from vitrine.lockers.planning.interchange import greedy_open, interchange
from vitrine.lockers.planning.mip import HighsSolver
from vitrine.lockers.planning.neighbours import radius_lists


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--demand", type=int, default=200_000)
    parser.add_argument("--candidates", type=int, default=5_000)
    parser.add_argument("--count", type=int, default=150)
    parser.add_argument("--radius", type=float, default=500.0)
    parser.add_argument("--bound-seconds", type=float, default=60.0)
    args = parser.parse_args()
    print(f"# {hardware_line()}")
    demand = city_demand(args.demand, seed=1)
    sites = city_candidates(args.candidates, seed=2)
    centres, weight, _ = aggregate_points(to_xyz(demand.lat, demand.lon), demand.weight, 50.0)
    site_xyz = to_xyz(sites.lat, sites.lon)
    lists = radius_lists(centres, weight, cKDTree(site_xyz), len(sites), args.radius)
    fixed = np.zeros(len(sites), dtype=bool)
    began = time.perf_counter()
    found = interchange(lists, greedy_open(lists, args.count, fixed), fixed, seconds=300)
    ours = covered_weight(lists, found.is_open)
    upper = covering_upper_bound(lists, args.count, fixed, ours, args.bound_seconds)
    seconds = time.perf_counter() - began
    mip = HighsSolver().solve(covering_model(lists, args.count, fixed), seconds)
    mip_value = covered_weight(lists, mip.x[: len(sites)] > 0.5) if mip.x.size else 0.0
    total = float(weight.sum())
    print(f"{len(centres)} modelled points, {lists.sites.size} (point, site) pairs, N={args.count}")
    print("| method | covered % | upper bound % | gap | seconds |")
    print("| --- | --- | --- | --- | --- |")
    print(
        f"| greedy + interchange + Lagrangian bound | {100 * ours / total:.3f} |"
        f" {100 * upper / total:.3f} | {(upper - ours) / max(ours, 1e-9):.3%} | {seconds:.1f} |"
    )
    found = f"{100 * mip_value / total:.3f}" if mip.x.size else "no solution"
    bound = f"{100 * -mip.bound / total:.3f}" if np.isfinite(mip.bound) else "none"
    gap = f"{(-mip.bound - mip_value) / mip_value:.3%}" if mip_value and bound != "none" else "-"
    print(
        f"| textbook MIP (HiGHS, same time, {mip.status}) | {found} | {bound} | {gap}"
        f" | {mip.seconds:.1f} |"
    )


if __name__ == "__main__":
    main()

"""A PNG map of a plan: demand density, candidate sites, chosen sites and their walking radius.

Left: the whole area. Right: a zoom on the busiest place, where the radius circles are readable.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from vitrine.lockers.planning.geo import EARTH_RADIUS_M
from vitrine.lockers.planning.inputs import CandidateSites, DemandPoints
from vitrine.lockers.planning.planner import LockerPlan

MAX_CANDIDATE_MARKS = 20_000
ZOOM_HALF_KM = 8.0
SITE_COLOUR = "#1f4e9c"
EXISTING_COLOUR = "#1e8449"


def _busiest(demand: DemandPoints) -> tuple[float, float]:
    """(lat, lon) of the 0.05-degree cell holding the most demand weight."""
    lat_bin = np.floor(demand.lat / 0.05)
    lon_bin = np.floor(demand.lon / 0.05)
    cells, inverse = np.unique(np.column_stack([lat_bin, lon_bin]), axis=0, return_inverse=True)
    top = int(np.argmax(np.bincount(inverse.ravel(), demand.weight)))
    return float((cells[top, 0] + 0.5) * 0.05), float((cells[top, 1] + 0.5) * 0.05)


def _radius_circles(plan: LockerPlan, ax: Any) -> None:
    from matplotlib.collections import EllipseCollection

    sites = plan.sites
    height = 2 * np.degrees(plan.radius_m / EARTH_RADIUS_M)
    width = height / np.maximum(np.cos(np.radians(sites.lat)), 0.05)
    circles = EllipseCollection(
        width, np.full(len(sites), height), np.zeros(len(sites)), units="xy",
        offsets=np.column_stack([sites.lon, sites.lat]), offset_transform=ax.transData,
        facecolors=SITE_COLOUR, edgecolors=SITE_COLOUR, linewidths=0.8, alpha=0.18, zorder=3,
    )  # fmt: skip
    ax.add_collection(circles)


def _draw_sites(plan: LockerPlan, ax: Any, size: float) -> None:
    sites = plan.sites
    existing = np.asarray(plan.existing, dtype=bool)
    for mask, colour, marker, label in (
        (~existing, SITE_COLOUR, "^", "new lockers"),
        (existing, EXISTING_COLOUR, "s", "existing lockers"),
    ):
        if mask.any():
            ax.scatter(
                sites.lon[mask], sites.lat[mask], s=size, marker=marker, c=colour,
                edgecolors="white", linewidths=0.6, label=f"{label} ({int(mask.sum())})", zorder=4,
            )  # fmt: skip


def _draw_layers(
    ax: Any,
    plan: LockerPlan,
    demand: DemandPoints,
    candidates: CandidateSites,
    grid: int,
    dot: float,
) -> Any:
    from matplotlib.colors import LogNorm

    mean_lat = float(np.mean(demand.lat))
    ax.set_aspect(1.0 / max(np.cos(np.radians(mean_lat)), 0.05), adjustable="box")
    density = ax.hexbin(
        demand.lon, demand.lat, C=demand.weight, reduce_C_function=np.sum, gridsize=grid,
        cmap="YlOrRd", norm=LogNorm(), mincnt=1, linewidths=0, alpha=0.6, zorder=1,
    )  # fmt: skip
    step = max(1, len(candidates) // MAX_CANDIDATE_MARKS)
    ax.scatter(
        candidates.lon[::step], candidates.lat[::step], s=dot, c="#2c3e50", alpha=0.5,
        linewidths=0, label=f"candidate sites ({len(candidates)})", zorder=2,
    )  # fmt: skip
    _radius_circles(plan, ax)
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    return density


def _zoom(ax: Any, plan: LockerPlan, demand: DemandPoints, candidates: CandidateSites) -> None:
    lat, lon = _busiest(demand)
    half_lat = ZOOM_HALF_KM * 1000 / EARTH_RADIUS_M * 180 / np.pi
    half_lon = half_lat / max(np.cos(np.radians(lat)), 0.05)
    near = (np.abs(demand.lat - lat) < 1.2 * half_lat) & (np.abs(demand.lon - lon) < 1.2 * half_lon)
    local = DemandPoints(demand.lat[near], demand.lon[near], demand.weight[near])
    shown = (np.abs(candidates.lat - lat) < half_lat) & (np.abs(candidates.lon - lon) < half_lon)
    local_sites = candidates.subset(np.flatnonzero(shown))
    if len(local) > 0:
        _draw_layers(ax, plan, local, local_sites, grid=50, dot=7)
    _draw_sites(plan, ax, size=40)
    ax.set_xlim(lon - half_lon, lon + half_lon)
    ax.set_ylim(lat - half_lat, lat + half_lat)
    ax.set_title(f"busiest area, {2 * ZOOM_HALF_KM:.0f} km across, circles = {plan.radius_m:.0f} m")


def draw_plan_map(
    plan: LockerPlan,
    demand: DemandPoints,
    candidates: CandidateSites,
    path: str | Path,
    title: str = "Locker plan",
) -> Path:
    """Save the two-panel map as PNG (matplotlib's Agg backend, no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    fig, (whole, zoom) = plt.subplots(1, 2, figsize=(16, 8), dpi=100)
    density = _draw_layers(whole, plan, demand, candidates, grid=110, dot=2)
    _draw_sites(plan, whole, size=14)
    whole.set_title("whole area")
    _zoom(zoom, plan, demand, candidates)
    fig.colorbar(density, ax=[whole, zoom], shrink=0.6, label="demand weight per hexagon")
    whole.legend(loc="upper right", fontsize=9, framealpha=0.9, markerscale=1.5)
    fig.suptitle(
        f"{title}: {len(plan.sites)} sites, {plan.coverage_pct:.1f}% of demand within"
        f" {plan.radius_m:.0f} m, mean {plan.mean_distance_m:.0f} m,"
        f" p90 {plan.p90_distance_m:.0f} m ({plan.objective})",
        fontsize=12,
    )
    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)
    return path

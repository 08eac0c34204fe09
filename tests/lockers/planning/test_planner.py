"""plan_sites end to end on small towns: figures, kept sites, exact and heuristic paths."""

from __future__ import annotations

import numpy as np
import pytest

from tests.lockers.planning.conftest import town
from vitrine.lockers.planning import planner
from vitrine.lockers.planning.geo import haversine_m
from vitrine.lockers.planning.inputs import CandidateSites, DemandPoints, PlanningInputError
from vitrine.lockers.planning.planner import PlanLimits, plan_sites, plan_summary, weighted_quantile


def nearest_metres(demand: DemandPoints, sites: CandidateSites) -> np.ndarray:
    metres = haversine_m(demand.lat[:, None], demand.lon[:, None], sites.lat[None], sites.lon[None])
    return metres.min(axis=1)


def test_coverage_plan_reports_figures_that_match_a_direct_computation(
    small_town: tuple[DemandPoints, CandidateSites],
) -> None:
    demand, candidates = small_town
    plan = plan_sites(demand, candidates, 3, "coverage", radius_m=400)
    metres = nearest_metres(demand, plan.sites)
    within = demand.weight[metres <= 400].sum() / demand.weight.sum()
    assert len(plan.sites) == 3
    assert plan.coverage_pct == pytest.approx(100 * within)
    assert plan.mean_distance_m == pytest.approx(
        np.average(metres, weights=demand.weight), rel=1e-6
    )
    assert plan.p90_distance_m == pytest.approx(weighted_quantile(metres, demand.weight, 0.9))
    assert plan.gap == pytest.approx(0.0)
    assert "exact maximal covering" in plan.method
    assert sum(plan.site_load) == pytest.approx(demand.weight.sum())


def test_distance_plan_is_the_proven_p_median(
    small_town: tuple[DemandPoints, CandidateSites],
) -> None:
    demand, candidates = small_town
    plan = plan_sites(demand, candidates, 2, "distance")
    assert "proven optimal" in plan.method
    best = min(
        np.average(
            nearest_metres(demand, candidates.subset(np.array([a, b]))), weights=demand.weight
        )
        for a in range(len(candidates))
        for b in range(a + 1, len(candidates))
    )
    assert plan.mean_distance_m == pytest.approx(best, rel=1e-6)


def test_existing_sites_are_kept_and_counted(
    small_town: tuple[DemandPoints, CandidateSites],
) -> None:
    demand, candidates = small_town
    existing = candidates.subset(np.array([0, 1]))
    rest = candidates.subset(np.arange(2, len(candidates)))
    plan = plan_sites(demand, rest, 4, "distance", existing=existing)
    assert plan.sites.ids[:2] == ["s0", "s1"]
    assert plan.existing == [True, True, False, False]
    with pytest.raises(PlanningInputError, match="2 existing sites are more than the 1"):
        plan_sites(demand, rest, 1, existing=existing)


def test_large_path_uses_the_heuristic_and_stays_close_to_exact(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    demand, candidates = town(seed=5, demand=400, sites=40)
    exact = plan_sites(demand, candidates, 5, "distance")
    monkeypatch.setattr(planner, "EXACT_PMEDIAN_CELLS", 0)
    monkeypatch.setattr(planner, "NEAREST_K", 8)
    heuristic = plan_sites(demand, candidates, 5, "distance")
    assert "heuristic" in heuristic.method
    assert heuristic.mean_distance_m <= exact.mean_distance_m * 1.05
    # The Lagrangian bound on 8-nearest lists stays below the proven optimum of the same model.
    assert (
        exact.gap == pytest.approx(0.0, abs=1e-9)
        and heuristic.bound is not None
        and heuristic.gap is not None
    )
    assert heuristic.bound <= exact.model_value + 1e-6 <= heuristic.model_value + 1e-6
    assert heuristic.gap == pytest.approx(
        (heuristic.model_value - heuristic.bound) / heuristic.model_value
    )
    exact_cover = plan_sites(demand, candidates, 5, "coverage", radius_m=300)
    monkeypatch.setattr(planner, "EXACT_COVERING_ENTRIES", 0)
    covering = plan_sites(demand, candidates, 5, "coverage", radius_m=300)
    assert "maximal covering heuristic" in covering.method
    assert exact_cover.gap == pytest.approx(0.0, abs=1e-9)
    assert covering.bound is not None and covering.gap is not None
    assert covering.bound >= exact_cover.model_value - 1e-6 >= covering.model_value - 1e-6


def test_large_demand_is_merged_but_figures_use_every_point(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    demand, candidates = town(seed=6, demand=3000, sites=30)
    monkeypatch.setattr(planner, "AGGREGATE_ABOVE", 100)
    plan = plan_sites(demand, candidates, 4, "coverage", limits=PlanLimits(cell_m=60))
    assert plan.modelled_points < plan.demand_points == 3000
    metres = nearest_metres(demand, plan.sites)
    assert plan.coverage_pct == pytest.approx(
        100 * demand.weight[metres <= 500].sum() / demand.weight.sum()
    )


def test_capacitated_plan_reports_what_capacity_leaves_unserved(
    small_town: tuple[DemandPoints, CandidateSites],
) -> None:
    demand, candidates = small_town
    plan = plan_sites(demand, candidates, 2, "distance", capacitated=True)
    total = demand.weight.sum()
    assert max(plan.site_load) <= 40.0 + 1e-9
    assert plan.unserved_weight == pytest.approx(total - 80.0)
    assert any("beyond capacity" in line for line in plan_summary(plan))


def test_bad_objective_and_radius_are_refused(
    small_town: tuple[DemandPoints, CandidateSites],
) -> None:
    demand, candidates = small_town
    with pytest.raises(PlanningInputError, match="objective must be"):
        plan_sites(demand, candidates, 2, "walking")  # type: ignore[arg-type]
    with pytest.raises(PlanningInputError, match="radius must be positive"):
        plan_sites(demand, candidates, 2, radius_m=0)
    with pytest.raises(PlanningInputError, match="larger than the number of candidates"):
        plan_sites(demand, candidates, 15)

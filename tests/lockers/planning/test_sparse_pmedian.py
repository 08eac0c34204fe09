"""The large-input p-median: few sites over many towns must still be spread well."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from vitrine.lockers.planning.geo import chord_to_metres, to_xyz
from vitrine.lockers.planning.pmedian import solve_pmedian_exact
from vitrine.lockers.planning.sparse_pmedian import solve_sparse_pmedian, true_distances


def towns(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Six towns ~50-150 km apart, 40 delivery points and 8 candidate sites in each."""
    rng = np.random.default_rng(seed)
    centres = np.array(
        [[48.8, 2.3], [49.4, 1.1], [47.4, 0.7], [47.2, 2.9], [48.6, 3.9], [49.9, 2.3]]
    )
    size = np.array([120, 30, 25, 20, 15, 10])
    demand = np.repeat(centres, 40, axis=0) + rng.normal(0, 0.02, (240, 2))
    weight = np.repeat(size, 40).astype(np.float64)
    sites = np.repeat(centres, 8, axis=0) + rng.normal(0, 0.02, (48, 2))
    return to_xyz(demand[:, 0], demand[:, 1]), weight, to_xyz(sites[:, 0], sites[:, 1])


@pytest.mark.parametrize("count", [3, 5, 8])
def test_short_lists_still_reach_the_exact_optimum_across_towns(count: int) -> None:
    demand_xyz, weight, site_xyz = towns(seed=count)
    fixed = np.zeros(len(site_xyz), bool)
    found = solve_sparse_pmedian(demand_xyz, weight, site_xyz, count, fixed, k=12, seconds=30)
    distance = chord_to_metres(cdist(demand_xyz, site_xyz))
    exact = solve_pmedian_exact(distance, weight, count, found.is_open, fixed, seconds=60)
    assert exact.optimal
    assert int(found.is_open.sum()) == count
    assert found.objective == pytest.approx(
        weight @ true_distances(demand_xyz, site_xyz, found.is_open)
    )
    # a local optimum, not a proof: measured 0-1.1% above the optimum on these towns
    assert found.objective <= exact.objective * 1.02

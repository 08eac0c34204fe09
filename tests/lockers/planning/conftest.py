"""Small planning instances made on the spot: a town of demand and candidate sites."""

from __future__ import annotations

import numpy as np
import pytest

from vitrine.lockers.planning.inputs import CandidateSites, DemandPoints


def town(seed: int, demand: int, sites: int) -> tuple[DemandPoints, CandidateSites]:
    """Demand in two neighbourhoods of a ~4 km town near Paris; candidates spread over it."""
    rng = np.random.default_rng(seed)
    centre = np.array([48.85, 2.35])
    hoods = centre + np.array([[0.006, -0.01], [-0.008, 0.012]])
    which = rng.integers(0, 2, demand)
    points = hoods[which] + rng.normal(0, 0.004, (demand, 2))
    spots = centre + rng.uniform(-0.02, 0.02, (sites, 2))
    weight = rng.integers(1, 4, demand).astype(np.float64)
    ids = [f"s{k}" for k in range(sites)]
    capacity = np.full(sites, 40.0)
    return (
        DemandPoints(points[:, 0], points[:, 1], weight),
        CandidateSites(spots[:, 0], spots[:, 1], ids, capacity, np.zeros(sites)),
    )


@pytest.fixture
def small_town() -> tuple[DemandPoints, CandidateSites]:
    return town(seed=3, demand=60, sites=14)

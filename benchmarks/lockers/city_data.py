"""City-like clustered demand and candidate sites for benchmarks (a France-sized country)."""

from __future__ import annotations

import numpy as np

from vitrine.lockers.planning.inputs import CandidateSites, DemandPoints

KM_LAT = 1 / 111.2  # degrees of latitude per km


def _city_points(rng: np.random.Generator, size: int, cities: int) -> tuple[np.ndarray, np.ndarray]:
    """Points around cities (Zipf populations), each city a few Gaussian neighbourhoods.

    The country (city centres, sizes, neighbourhoods) is the same for every call, so demand and
    candidates drawn with different seeds share their cities.
    """
    country = np.random.default_rng(cities)
    centre_lat = country.uniform(43.3, 50.6, cities)
    centre_lon = country.uniform(-1.2, 7.2, cities)
    population = 1.0 / np.arange(1, cities + 1) ** 1.07
    spread_km = 1.5 + 6.0 * np.sqrt(population / population[0])
    hood_offset = country.normal(0, 0.6, size=(cities, 6, 2)) * spread_km[:, None, None]
    city = rng.choice(cities, size=size, p=population / population.sum())
    hood = rng.integers(0, 6, size=size)
    sigma_km = spread_km[city] * rng.uniform(0.15, 0.45, size)
    north_km = hood_offset[city, hood, 0] + rng.normal(0, 1, size) * sigma_km
    east_km = hood_offset[city, hood, 1] + rng.normal(0, 1, size) * sigma_km
    lat = centre_lat[city] + north_km * KM_LAT
    lon = centre_lon[city] + east_km * KM_LAT / np.cos(np.radians(centre_lat[city]))
    return lat, lon


def city_demand(size: int, cities: int = 60, rural: float = 0.04, seed: int = 1) -> DemandPoints:
    """`size` delivery points, most in cities, a share `rural` spread over the whole country."""
    rng = np.random.default_rng(seed)
    urban = size - int(size * rural)
    lat, lon = _city_points(rng, urban, cities)
    lat = np.concatenate([lat, rng.uniform(43.3, 50.6, size - urban)])
    lon = np.concatenate([lon, rng.uniform(-1.2, 7.2, size - urban)])
    weight = rng.choice([1.0, 1.0, 1.0, 2.0, 3.0], size=size)
    return DemandPoints(lat, lon, weight)


def city_candidates(size: int, cities: int = 60, seed: int = 1) -> CandidateSites:
    """Shops and stations: mostly where people live (same cities), some along the country."""
    rng = np.random.default_rng(seed)
    lat, lon = _city_points(rng, size - size // 10, cities)
    lat = np.concatenate([lat, rng.uniform(43.3, 50.6, size // 10)])
    lon = np.concatenate([lon, rng.uniform(-1.2, 7.2, size // 10)])
    capacity = rng.choice([60.0, 90.0, 120.0], size=size)
    return CandidateSites(lat, lon, [f"c{k}" for k in range(size)], capacity, np.zeros(size))

"""Earth geometry for site planning: 3D points for spatial indexes, metres, merging demand."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

EARTH_RADIUS_M = 6_371_008.8

FloatArray = NDArray[np.float64]


def to_xyz(lat: FloatArray, lon: FloatArray) -> FloatArray:
    """Points on a sphere of the Earth's radius (metres): chord length is monotone in distance."""
    phi = np.radians(np.asarray(lat, dtype=np.float64))
    lam = np.radians(np.asarray(lon, dtype=np.float64))
    cos_phi = np.cos(phi)
    xyz = np.empty((phi.size, 3), dtype=np.float64)
    xyz[:, 0] = cos_phi * np.cos(lam)
    xyz[:, 1] = cos_phi * np.sin(lam)
    xyz[:, 2] = np.sin(phi)
    return xyz * EARTH_RADIUS_M


def chord_to_metres(chord: FloatArray) -> FloatArray:
    """Great-circle metres for a chord length (metres) through the sphere."""
    ratio = np.clip(np.asarray(chord, dtype=np.float64) / (2 * EARTH_RADIUS_M), 0.0, 1.0)
    return 2 * EARTH_RADIUS_M * np.arcsin(ratio)


def metres_to_chord(metres: float) -> float:
    """Chord length matching a great-circle distance, for radius queries on the 3D index."""
    return float(
        2 * EARTH_RADIUS_M * np.sin(min(metres, np.pi * EARTH_RADIUS_M) / (2 * EARTH_RADIUS_M))
    )


def haversine_m(
    lat1: FloatArray, lon1: FloatArray, lat2: FloatArray, lon2: FloatArray
) -> FloatArray:
    """Great-circle distance in metres, element-wise (broadcasts)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dlam = np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlam / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))))


def aggregate_points(
    xyz: FloatArray, weight: FloatArray, cell_m: float
) -> tuple[FloatArray, FloatArray, NDArray[np.int64]]:
    """Merge points sharing a cell of `cell_m` metres into one at their weighted centre.

    Returns (centres xyz, summed weights, cell index of every input point). Weightless
    cells keep their plain centre so nothing divides by zero.
    """
    if cell_m <= 0:
        return xyz, weight, np.arange(len(weight), dtype=np.int64)
    keys = np.floor(xyz / cell_m).astype(np.int64)
    _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.ravel()
    cells = first.size
    total = np.bincount(inverse, weights=weight, minlength=cells)
    count = np.bincount(inverse, minlength=cells).astype(np.float64)
    use_weight = total > 0
    factor = np.where(use_weight[inverse], weight, 1.0)
    norm = np.where(use_weight, total, count)
    centres = np.empty((cells, 3), dtype=np.float64)
    for axis in range(3):
        centres[:, axis] = (
            np.bincount(inverse, weights=xyz[:, axis] * factor, minlength=cells) / norm
        )
    return centres, total.astype(np.float64), inverse.astype(np.int64)

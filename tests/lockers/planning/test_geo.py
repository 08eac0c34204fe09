"""Distances in metres and the merging of nearby demand."""

from __future__ import annotations

import numpy as np

from vitrine.lockers.planning.geo import (
    aggregate_points,
    chord_to_metres,
    haversine_m,
    metres_to_chord,
    to_xyz,
)


def test_paris_to_london_is_about_344_km() -> None:
    metres = haversine_m(np.array(48.8566), np.array(2.3522), np.array(51.5074), np.array(-0.1278))
    assert abs(float(metres) - 343_560) < 1_000


def test_chord_on_the_3d_points_gives_the_great_circle_distance() -> None:
    lat, lon = np.array([48.85, 43.30]), np.array([2.35, 5.37])
    xyz = to_xyz(lat, lon)
    chord = np.linalg.norm(xyz[0] - xyz[1])
    expected = haversine_m(lat[0], lon[0], lat[1], lon[1])
    assert abs(float(chord_to_metres(np.array(chord))) - float(expected)) < 1.0
    assert abs(float(chord_to_metres(np.array(metres_to_chord(500.0)))) - 500.0) < 1e-6


def test_merging_keeps_the_total_weight_and_the_weighted_centre() -> None:
    xyz = np.array([[0.0, 0.0, 0.0], [10.0, 0.0, 0.0], [1000.0, 0.0, 0.0]])
    centres, weight, cell = aggregate_points(xyz, np.array([1.0, 3.0, 2.0]), cell_m=50.0)
    assert weight.tolist() == [4.0, 2.0]
    assert cell.tolist() == [0, 0, 1]
    assert centres[0].tolist() == [7.5, 0.0, 0.0]

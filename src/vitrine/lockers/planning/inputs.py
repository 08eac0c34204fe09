"""What the planner is given: demand points and candidate sites, checked row by row."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
Row = Mapping[str, object] | Sequence[object]


class PlanningInputError(ValueError):
    """Bad planner input; the message names the source, the line and the reason."""


@dataclass(frozen=True)
class DemandPoints:
    """Where parcels go (e.g. past orders' delivery points), with how many each."""

    lat: FloatArray
    lon: FloatArray
    weight: FloatArray

    def __len__(self) -> int:
        return int(self.lat.size)


@dataclass(frozen=True)
class CandidateSites:
    """Places a locker could stand; capacity is +inf when unlimited, fixed cost 0 when unknown."""

    lat: FloatArray
    lon: FloatArray
    ids: list[str]
    capacity: FloatArray = field(default_factory=lambda: np.empty(0))
    fixed_cost: FloatArray = field(default_factory=lambda: np.empty(0))

    def __post_init__(self) -> None:
        n = self.lat.size
        if self.capacity.size != n:
            object.__setattr__(self, "capacity", np.full(n, np.inf))
        if self.fixed_cost.size != n:
            object.__setattr__(self, "fixed_cost", np.zeros(n))

    def __len__(self) -> int:
        return int(self.lat.size)

    def subset(self, index: NDArray[np.int64]) -> CandidateSites:
        """The sites at `index`, in that order."""
        return CandidateSites(
            self.lat[index],
            self.lon[index],
            [self.ids[i] for i in index],
            self.capacity[index],
            self.fixed_cost[index],
        )


def parse_number(value: object, what: str, where: str, default: float | None = None) -> float:
    """A finite float, or PlanningInputError naming `where` and `what` was wrong."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if default is not None:
            return default
        raise PlanningInputError(f"{where}: missing {what}")
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise PlanningInputError(f"{where}: {what} is not a number: {value!r}") from None
    if math.isnan(number) or (math.isinf(number) and what != "capacity"):
        raise PlanningInputError(f"{where}: {what} is not a finite number: {value!r}")
    return number


def parse_position(lat_value: object, lon_value: object, where: str) -> tuple[float, float]:
    """Latitude and longitude in degrees, range-checked."""
    lat = parse_number(lat_value, "latitude", where)
    lon = parse_number(lon_value, "longitude", where)
    if not -90.0 <= lat <= 90.0:
        raise PlanningInputError(f"{where}: latitude out of range [-90, 90]: {lat}")
    if not -180.0 <= lon <= 180.0:
        raise PlanningInputError(f"{where}: longitude out of range [-180, 180]: {lon}")
    return lat, lon


def _field(row: Row, names: tuple[str, ...], position: int) -> object:
    if isinstance(row, Mapping):
        for name in names:
            if name in row:
                return row[name]
        return None
    return row[position] if position < len(row) else None


LAT_NAMES = ("lat", "latitude")
LON_NAMES = ("lon", "lng", "long", "longitude")


def demand_from_rows(
    rows: Iterable[Row], source: str = "demand", first_line: int = 1
) -> DemandPoints:
    """Demand from rows (lat, lon[, weight]) or mappings with those keys; weight defaults to 1."""
    values: list[tuple[float, float, float]] = []
    for number, row in enumerate(rows, start=first_line):
        where = f"{source} line {number}"
        lat, lon = parse_position(_field(row, LAT_NAMES, 0), _field(row, LON_NAMES, 1), where)
        weight = parse_number(_field(row, ("weight", "w", "orders"), 2), "weight", where, 1.0)
        if weight < 0:
            raise PlanningInputError(f"{where}: negative weight: {weight}")
        values.append((lat, lon, weight))
    if not values:
        raise PlanningInputError(f"{source}: no demand points")
    table = np.asarray(values, dtype=np.float64)
    return DemandPoints(table[:, 0].copy(), table[:, 1].copy(), table[:, 2].copy())


def _site_extras(row: Row, where: str) -> tuple[float, float]:
    capacity = parse_number(_field(row, ("capacity",), 3), "capacity", where, math.inf)
    cost = parse_number(_field(row, ("fixed_cost", "cost"), 4), "fixed cost", where, 0.0)
    if capacity < 0:
        raise PlanningInputError(f"{where}: negative capacity: {capacity}")
    if cost < 0:
        raise PlanningInputError(f"{where}: negative fixed cost: {cost}")
    return capacity, cost


def candidates_from_rows(
    rows: Iterable[Row], source: str = "candidates", first_line: int = 1
) -> CandidateSites:
    """Candidate sites from rows (lat, lon[, id, capacity, fixed_cost]) or mappings."""
    values: list[tuple[float, float, float, float]] = []
    ids: list[str] = []
    for number, row in enumerate(rows, start=first_line):
        where = f"{source} line {number}"
        lat, lon = parse_position(_field(row, LAT_NAMES, 0), _field(row, LON_NAMES, 1), where)
        capacity, cost = _site_extras(row, where)
        given = _field(row, ("id", "name", "site"), 2)
        ids.append(str(given).strip() if given not in (None, "") else f"site-{len(ids) + 1}")
        values.append((lat, lon, capacity, cost))
    if not values:
        raise PlanningInputError(f"{source}: no candidate sites")
    table = np.asarray(values, dtype=np.float64)
    return CandidateSites(
        table[:, 0].copy(), table[:, 1].copy(), ids, table[:, 2].copy(), table[:, 3].copy()
    )


def check_count(count: int, candidates: int, existing: int = 0) -> None:
    """N must be positive, at least the sites kept, and no more than the candidates."""
    if count <= 0:
        raise PlanningInputError(f"number of sites must be positive, got {count}")
    if count > candidates:
        raise PlanningInputError(
            f"number of sites {count} is larger than the number of candidates {candidates}"
        )
    if existing > count:
        raise PlanningInputError(f"{existing} existing sites are more than the {count} asked for")

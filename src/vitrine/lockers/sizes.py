"""Compartment sizes (S, M, L ... in cm) and which of them a parcel fits in."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

DEFAULT_SIZES: dict[str, tuple[int, int, int]] = {
    "S": (8, 38, 64),
    "M": (19, 38, 64),
    "L": (41, 38, 64),
}


class UnknownSize(ValueError):
    """A size code or a set of dimensions that no compartment size can take."""


@dataclass(frozen=True)
class CompartmentSize:
    code: str
    dimensions_cm: tuple[int, int, int]

    @property
    def volume(self) -> int:
        height, width, depth = self.dimensions_cm
        return height * width * depth

    def fits(self, parcel_cm: Sequence[float]) -> bool:
        """A box fits if, rotated, each of its sides is at most the matching inner side."""
        inner = sorted(self.dimensions_cm)
        outer = sorted(parcel_cm)
        return len(outer) == 3 and all(0 < p <= c for p, c in zip(outer, inner, strict=True))


def size_table(sizes: Mapping[str, Sequence[int]]) -> tuple[CompartmentSize, ...]:
    """The configured sizes, smallest volume first."""
    table = []
    for code, dimensions in sizes.items():
        if len(dimensions) != 3 or min(dimensions) <= 0:
            raise UnknownSize(f"size {code} needs three positive dimensions in cm")
        height, width, depth = dimensions
        table.append(CompartmentSize(code, (int(height), int(width), int(depth))))
    return tuple(sorted(table, key=lambda size: (size.volume, size.code)))


def sizes_from(table: Sequence[CompartmentSize], code: str) -> list[str]:
    """The size `code` and every larger size, smallest first (a parcel for M also fits in L)."""
    codes = [size.code for size in table]
    if code not in codes:
        raise UnknownSize(f"unknown compartment size {code!r} (sizes: {', '.join(codes)})")
    return codes[codes.index(code) :]


def sizes_fitting(table: Sequence[CompartmentSize], parcel_cm: Sequence[float]) -> list[str]:
    """Every size a parcel of these outer dimensions fits in, smallest first."""
    fitting = [size.code for size in table if size.fits(parcel_cm)]
    if not fitting:
        raise UnknownSize(f"a parcel of {parcel_cm} cm fits in no compartment")
    return fitting

"""Compartment sizes: a parcel fits if, turned any way, each side fits."""

from __future__ import annotations

import pytest

from vitrine.lockers.sizes import DEFAULT_SIZES, UnknownSize, size_table, sizes_fitting, sizes_from

TABLE = size_table(DEFAULT_SIZES)


def test_sizes_are_ordered_smallest_first() -> None:
    assert [size.code for size in TABLE] == ["S", "M", "L"]


def test_a_parcel_gets_the_sizes_it_fits_in_even_turned() -> None:
    assert sizes_fitting(TABLE, (30, 60, 5)) == ["S", "M", "L"]
    assert sizes_fitting(TABLE, (64, 19, 38)) == ["M", "L"]
    assert sizes_fitting(TABLE, (40, 30, 60)) == ["L"]


def test_a_parcel_too_big_for_any_compartment_is_refused() -> None:
    with pytest.raises(UnknownSize, match="fits in no compartment"):
        sizes_fitting(TABLE, (70, 40, 40))
    with pytest.raises(UnknownSize):
        sizes_fitting(TABLE, (0, 10, 10))


def test_a_size_also_fits_in_every_larger_one() -> None:
    assert sizes_from(TABLE, "M") == ["M", "L"]
    with pytest.raises(UnknownSize, match="unknown compartment size 'XL'"):
        sizes_from(TABLE, "XL")


def test_sizes_are_configurable() -> None:
    table = size_table({"XS": (5, 20, 30), "S": (8, 38, 64)})
    assert [size.code for size in table] == ["XS", "S"]
    with pytest.raises(UnknownSize):
        size_table({"bad": (0, 1, 2)})

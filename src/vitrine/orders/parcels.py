"""Which locker compartment size an order needs (pure)."""

from __future__ import annotations


def parcel_size(item_count: int) -> str:
    """S holds one or two small items, M up to six, L anything larger."""
    if item_count <= 2:
        return "S"
    if item_count <= 6:
        return "M"
    return "L"

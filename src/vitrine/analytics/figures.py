"""Market-test figures from counts: funnel rates and product rankings (pure)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ProductFunnel:
    product_id: str
    name: str
    views: int
    scans: int
    photo_hits: int
    carts: int
    units_sold: int

    @property
    def interest(self) -> int:
        """How often shoppers reached the product: page views (any way in)."""
        return self.views

    @property
    def conversion(self) -> float:
        return self.units_sold / self.views if self.views else 0.0


def rate(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def top_by_interest(funnels: list[ProductFunnel], limit: int = 10) -> list[ProductFunnel]:
    ranked = sorted(funnels, key=lambda f: (-f.interest, -f.units_sold, f.name))
    return [f for f in ranked if f.interest > 0][:limit]


def top_by_conversion(
    funnels: list[ProductFunnel], limit: int = 10, min_views: int = 3
) -> list[ProductFunnel]:
    eligible = [f for f in funnels if f.views >= min_views]
    return sorted(eligible, key=lambda f: (-f.conversion, -f.views, f.name))[:limit]


def picked_up_not_bought(
    funnels: list[ProductFunnel], limit: int = 10, min_views: int = 3
) -> list[ProductFunnel]:
    """High interest, low conversion: what shoppers handle but do not buy (the market signal)."""
    eligible = [f for f in funnels if f.views >= min_views]
    median = sorted(f.conversion for f in eligible)[len(eligible) // 2] if eligible else 0.0
    weak = [f for f in eligible if f.conversion <= median / 2 or f.units_sold == 0]
    return sorted(weak, key=lambda f: (-f.views, f.conversion, f.name))[:limit]

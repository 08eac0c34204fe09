"""Display prices in the shopper's currency from the stored rate table (charging stays in EUR)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from vitrine.catalog.money import exponent_of, format_price


def convert(price_minor: int, base: str, quote: str, rate: Decimal) -> int:
    """Minor units of `base` to minor units of `quote`, rounded half up."""
    amount = Decimal(price_minor).scaleb(-exponent_of(base)) * rate
    return int(amount.scaleb(exponent_of(quote)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def display_price(price_minor: int, base: str, quote: str, rates: dict[str, Decimal]) -> str | None:
    """'≈ ¥15.52' for a foreign display currency, None when no conversion applies."""
    if quote == base or quote not in rates:
        return None
    return "≈ " + format_price(convert(price_minor, base, quote, rates[quote]), quote)

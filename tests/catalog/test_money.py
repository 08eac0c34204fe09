"""Prices are integer minor units; text amounts are parsed strictly."""

from __future__ import annotations

import pytest

from vitrine.catalog.money import PriceError, format_price, parse_price


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [("12.99", "EUR", 1299), ("0", "EUR", 0), ("3,5", "EUR", 350), ("1200", "JPY", 1200)],
)
def test_prices_parse_to_minor_units(text: str, currency: str, minor: int) -> None:
    assert parse_price(text, currency) == minor


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("-1", "negative"),
        ("abc", "not a number"),
        ("", "empty"),
        ("1.999", "decimals"),
        ("nan", "not a number"),
        ("1e30", "implausibly large"),
    ],
)
def test_bad_prices_are_refused(text: str, reason: str) -> None:
    with pytest.raises(PriceError, match=reason):
        parse_price(text, "EUR")


def test_prices_display_with_their_currency() -> None:
    assert format_price(1299, "EUR") == "€12.99"
    assert format_price(123456, "CHF") == "1,234.56 CHF"
    assert format_price(500, "JPY") == "¥500"

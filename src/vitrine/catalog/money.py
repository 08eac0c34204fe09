"""Money as integer minor units plus an ISO 4217 currency code; parsing and display."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

# ISO 4217 exponents that differ from 2; every other currency has cents.
_EXPONENTS = {"JPY": 0, "KRW": 0, "CLP": 0, "ISK": 0, "VND": 0, "BHD": 3, "KWD": 3, "TND": 3}
_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "CNY": "¥", "JPY": "¥"}


class PriceError(ValueError):
    """A price text that is not a valid non-negative amount."""


def exponent_of(currency: str) -> int:
    return _EXPONENTS.get(currency, 2)


def parse_price(text: str, currency: str) -> int:
    """'12.99' in EUR -> 1299. Refuses negatives, non-numbers and too many decimals."""
    cleaned = str(text).strip().replace(",", ".")
    if not cleaned:
        raise PriceError("price is empty")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation as error:
        raise PriceError(f"price {text!r} is not a number") from error
    if not amount.is_finite():
        raise PriceError(f"price {text!r} is not a number")
    if amount < 0:
        raise PriceError(f"price {text!r} is negative")
    minor = amount.scaleb(exponent_of(currency))
    if minor != minor.to_integral_value():
        raise PriceError(f"price {text!r} has more decimals than {currency} allows")
    if minor > 10**11:
        raise PriceError(f"price {text!r} is implausibly large")
    return int(minor)


def format_price(price_minor: int, currency: str) -> str:
    """1299, 'EUR' -> '€12.99'."""
    exponent = exponent_of(currency)
    amount = Decimal(price_minor).scaleb(-exponent)
    text = f"{amount:,.{exponent}f}"
    symbol = _SYMBOLS.get(currency)
    return f"{symbol}{text}" if symbol else f"{text} {currency}"

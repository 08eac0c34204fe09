"""Flash deals: a live-only price, a limited quantity and an end time; what a buyer is told."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

MAX_DEAL_UNITS = 10_000
MAX_DEAL_DURATION = timedelta(hours=24)
SOLD_OUT = "the deal is sold out"
ENDED = "the deal has ended"


class DealRefused(ValueError):
    """The host's deal is not valid (the message is for the host)."""


@dataclass(frozen=True)
class DealTerms:
    price_minor: int
    quantity: int
    ends_at: datetime


def check_terms(terms: DealTerms, *, regular_price_minor: int, now: datetime) -> DealTerms:
    if terms.price_minor < 0:
        raise DealRefused("the live price cannot be negative")
    if terms.price_minor > regular_price_minor:
        raise DealRefused("the live price must not exceed the regular price")
    if not 1 <= terms.quantity <= MAX_DEAL_UNITS:
        raise DealRefused(f"the quantity must be between 1 and {MAX_DEAL_UNITS}")
    if terms.ends_at <= now:
        raise DealRefused("the end time must be in the future")
    if terms.ends_at > now + MAX_DEAL_DURATION:
        raise DealRefused("a flash deal lasts at most 24 hours")
    return terms


def unavailable_reason(
    *, remaining: int, ends_at: datetime, session_live: bool, now: datetime
) -> str | None:
    """Why nobody can buy the deal now (None when it is on sale)."""
    if not session_live or ends_at <= now:
        return ENDED
    if remaining <= 0:
        return SOLD_OUT
    return None

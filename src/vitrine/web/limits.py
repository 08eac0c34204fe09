"""Applying the shared rate limits to a request: its client address, its browser, the verdict."""

from __future__ import annotations

from fastapi import Request

from vitrine.throttling.counters import Rule
from vitrine.web.wiring import counters


def client_address(request: Request) -> str:
    """The address the request came from (a proxy in front must set it, not a header)."""
    return request.client.host if request.client else "unknown"


def browser_of(request: Request) -> str:
    """The visitor cookie (set by the app on every first visit)."""
    return str(getattr(request.state, "visitor", "") or "none")


def over_limit(request: Request, *checks: tuple[Rule, str]) -> float:
    """Count this request under each (rule, key); seconds to wait if any is full, else 0."""
    shared = counters(request)
    return max((shared.take(rule, key) for rule, key in checks), default=0.0)

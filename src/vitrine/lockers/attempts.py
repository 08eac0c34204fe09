"""How typed pickup codes are slowed down per client and per site, and the guessing figure.

Nothing here locks a keypad: a shopper holding their pickup message scans its QR token, which
needs no guessing and is never slowed (see pickup/tokens.py). Typed codes are checked after a
wait:

- per client (an IP address), from its failures in the last CLIENT_WINDOW: no wait for the
  first CLIENT_FREE_FAILURES, then 2, 4, 8, 16 s. A client whose wait would pass WAIT_CAP is
  answered at once (429 + Retry-After) until its oldest failures age out: only that client.
- per site, the checks are spaced: while the site has fewer than SITE_FREE_FAILURES failures in
  the last SITE_WINDOW a check goes at once, past that each check takes the next free slot,
  SITE_SPACING after the previous one. A check whose slot is more than WAIT_CAP away is answered
  at once with the time until one fits.

A failure counts from the moment its check is booked (a booked check counts as a failure until
it opens a compartment), so concurrent requests cannot slip past the counts. The site budget is
what bounds a guesser with many addresses: at most SITE_FREE_FAILURES + SITE_WINDOW /
SITE_SPACING + 1 = 91 failures in any 24 h (see max_site_failures and docs/SECURITY.md).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

CLIENT_WINDOW = timedelta(minutes=15)
CLIENT_FREE_FAILURES = 3
WAIT_CAP = timedelta(seconds=30)
SITE_WINDOW = timedelta(hours=24)
SITE_FREE_FAILURES = 30
SITE_SPACING = timedelta(minutes=24)


@dataclass(frozen=True)
class Refusal:
    """Why a typed code is answered without being checked, and when to come back."""

    scope: Literal["client", "site"]
    retry_after: timedelta

    @property
    def seconds(self) -> int:
        return max(1, math.ceil(self.retry_after.total_seconds()))


@dataclass(frozen=True)
class Booking:
    """A typed code's check: when it runs, and when the site's next check may run."""

    check_at: datetime
    site_next_check: datetime

    def wait(self, now: datetime) -> timedelta:
        return max(timedelta(0), self.check_at - now)


def client_wait(failures_in_window: int) -> timedelta:
    """The wait before a client's next check, given its failures in CLIENT_WINDOW."""
    if failures_in_window < CLIENT_FREE_FAILURES:
        return timedelta(0)
    return timedelta(seconds=2 ** (failures_in_window - CLIENT_FREE_FAILURES + 1))


def _client_failures_allowed() -> int:
    """The most failures in the window that still give a wait within WAIT_CAP."""
    failures = CLIENT_FREE_FAILURES
    while client_wait(failures + 1) <= WAIT_CAP:
        failures += 1
    return failures


CLIENT_MAX_FAILURES = _client_failures_allowed() + 1  # in CLIENT_WINDOW, then 429


def client_refusal(recent_failures: Sequence[datetime], now: datetime) -> Refusal | None:
    """Refuse a client whose wait would pass WAIT_CAP, until enough failures age out."""
    in_window = sorted(when for when in recent_failures if now - when < CLIENT_WINDOW)
    allowed = CLIENT_MAX_FAILURES - 1
    if len(in_window) <= allowed:
        return None
    oldest_to_age_out = in_window[len(in_window) - allowed - 1]
    return Refusal("client", oldest_to_age_out + CLIENT_WINDOW - now)


def site_spacing(failures_in_window: int) -> timedelta:
    """The gap a site leaves after a check, given its failures in SITE_WINDOW before it."""
    return timedelta(0) if failures_in_window < SITE_FREE_FAILURES else SITE_SPACING


def book_check(
    *,
    client_failures: Sequence[datetime],
    site_failures_in_window: int,
    site_next_check: datetime | None,
    now: datetime,
) -> Booking | Refusal:
    """When this typed code is checked, or why it is answered at once without a check."""
    refusal = client_refusal(client_failures, now)
    if refusal is not None:
        return refusal
    recent = sum(1 for when in client_failures if now - when < CLIENT_WINDOW)
    site_slot = max(now, site_next_check or now)
    if site_slot - now > WAIT_CAP:
        return Refusal("site", site_slot - now - WAIT_CAP)
    check_at = max(site_slot, now + client_wait(recent))
    # A client's own wait delays its check, not the site's next slot.
    return Booking(check_at, site_slot + site_spacing(site_failures_in_window))


def simulate_site_attack(
    duration: timedelta, start: datetime, every: timedelta = timedelta(seconds=1)
) -> list[datetime]:
    """The checks a guesser with unlimited addresses gets at one site, booking as fast as allowed.

    Every check fails (counted from its booking); fresh addresses mean no client wait.
    """
    checks: list[datetime] = []
    now, next_check = start, start
    while now < start + duration:
        in_window = sum(1 for when in checks if now - when < SITE_WINDOW)
        booked = book_check(
            client_failures=[],
            site_failures_in_window=in_window,
            site_next_check=next_check,
            now=now,
        )
        if isinstance(booked, Booking):
            checks.append(booked.check_at)
            next_check = booked.site_next_check
        else:
            now += booked.retry_after - every
        now += every
    return [when for when in checks if when < start + duration]


def max_site_failures(failures: Sequence[datetime], window: timedelta = SITE_WINDOW) -> int:
    """The most failures inside any window of this length."""
    most, first = 0, 0
    for last, when in enumerate(failures):
        while when - failures[first] >= window:
            first += 1
        most = max(most, last - first + 1)
    return most


def guess_probability(*, failures: int, active_codes: int, code_space: int) -> float:
    """P(at least one of `failures` uniform guesses hits one of `active_codes` valid codes)."""
    return -math.expm1(failures * math.log1p(-active_codes / code_space))

"""Limits on pickup-code attempts: per client, per site (exponential lockout), and their figure.

A failure is a well-formed code that opens nothing (wrong, expired or already used). A client
(an IP address) gets CLIENT_MAX_FAILURES per CLIENT_WINDOW. A site counts its failures over
SITE_WINDOW and locks its keypad after every SITE_FAILURES_PER_LOCKOUT of them, for
SITE_FIRST_LOCKOUT doubled each time; a client can change address, a site cannot, so the site
limit is what bounds a guesser (see max_site_failures and benchmarks/lockers/OPERATIONS.md).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

CLIENT_MAX_FAILURES = 5
CLIENT_WINDOW = timedelta(minutes=15)
SITE_WINDOW = timedelta(hours=24)
SITE_FAILURES_PER_LOCKOUT = 10
SITE_FIRST_LOCKOUT = timedelta(minutes=5)
SITE_MAX_LOCKOUT = timedelta(hours=24)


@dataclass(frozen=True)
class Refusal:
    """Why an attempt is refused before its code is even looked at, and for how long."""

    scope: Literal["client", "site"]
    retry_after: timedelta

    @property
    def minutes(self) -> int:
        return max(1, math.ceil(self.retry_after.total_seconds() / 60))


def client_refusal(recent_failures: Sequence[datetime], now: datetime) -> Refusal | None:
    """Refuse a client with CLIENT_MAX_FAILURES failures in the last CLIENT_WINDOW."""
    in_window = sorted(when for when in recent_failures if now - when < CLIENT_WINDOW)
    if len(in_window) < CLIENT_MAX_FAILURES:
        return None
    oldest_counted = in_window[-CLIENT_MAX_FAILURES]
    return Refusal("client", oldest_counted + CLIENT_WINDOW - now)


def site_refusal(locked_until: datetime | None, now: datetime) -> Refusal | None:
    if locked_until is None or locked_until <= now:
        return None
    return Refusal("site", locked_until - now)


def site_lockout(failures_in_window: int) -> timedelta | None:
    """The lockout a site enters after its n-th failure in SITE_WINDOW (None: no lockout)."""
    if failures_in_window <= 0 or failures_in_window % SITE_FAILURES_PER_LOCKOUT:
        return None
    level = min(failures_in_window // SITE_FAILURES_PER_LOCKOUT - 1, 16)
    return min(SITE_FIRST_LOCKOUT * 2**level, SITE_MAX_LOCKOUT)


def simulate_site_attack(
    duration: timedelta, start: datetime, every: timedelta = timedelta(seconds=1)
) -> list[datetime]:
    """The failures of a guesser with unlimited addresses at one site, trying as fast as allowed."""
    failures: list[datetime] = []
    now, locked_until = start, start
    while now < start + duration:
        now = max(now, locked_until)
        failures.append(now)
        window = [when for when in failures if now - when < SITE_WINDOW]
        lockout = site_lockout(len(window))
        if lockout is not None:
            locked_until = now + lockout
        now += every
    return [when for when in failures if when < start + duration]


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

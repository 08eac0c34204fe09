"""Guessing limits: per client, per site with exponential lockout, and the resulting odds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from vitrine.lockers import attempts
from vitrine.lockers.codes import CODE_SPACE

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def test_a_client_gets_five_failures_per_quarter_hour() -> None:
    four = [NOW - timedelta(minutes=m) for m in (1, 2, 3, 4)]
    assert attempts.client_refusal(four, NOW) is None
    refusal = attempts.client_refusal([*four, NOW - timedelta(minutes=10)], NOW)
    assert refusal is not None and refusal.scope == "client"
    assert refusal.retry_after == timedelta(minutes=5) and refusal.minutes == 5
    old = [*four, NOW - timedelta(minutes=16)]
    assert attempts.client_refusal(old, NOW) is None


def test_a_site_locks_after_every_ten_failures_for_twice_as_long() -> None:
    assert attempts.site_lockout(9) is None
    assert attempts.site_lockout(10) == timedelta(minutes=5)
    assert attempts.site_lockout(11) is None
    assert attempts.site_lockout(20) == timedelta(minutes=10)
    assert attempts.site_lockout(90) == timedelta(minutes=1280)
    assert attempts.site_lockout(10_000) == timedelta(hours=24)


def test_a_locked_site_says_for_how_long() -> None:
    refusal = attempts.site_refusal(NOW + timedelta(seconds=61), NOW)
    assert refusal is not None and (refusal.scope, refusal.minutes) == ("site", 2)
    assert attempts.site_refusal(NOW, NOW) is None


def test_a_guesser_gets_at_most_90_failures_a_day_at_one_site() -> None:
    failures = attempts.simulate_site_attack(timedelta(days=30), NOW)
    assert attempts.max_site_failures(failures) == 90
    assert len(failures) < 30 * 60  # steady state: about 50 a day


def test_the_odds_of_a_guess_per_site_per_day_are_negligible() -> None:
    # 90 failures a day against a full 60-compartment site: about 5.4e-7.
    odds = attempts.guess_probability(failures=90, active_codes=60, code_space=CODE_SPACE)
    assert 5.3e-7 < odds < 5.5e-7

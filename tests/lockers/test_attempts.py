"""Typed-code slowing: per-client waits, per-site spacing, and the guessing figure they give."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from vitrine.lockers import attempts
from vitrine.lockers.codes import CODE_SPACE

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def _book(
    client_failures: list[datetime], site_failures: int = 0, site_next: datetime | None = None
) -> attempts.Booking | attempts.Refusal:
    return attempts.book_check(
        client_failures=client_failures,
        site_failures_in_window=site_failures,
        site_next_check=site_next,
        now=NOW,
    )


def test_a_client_waits_longer_after_each_failure_up_to_the_cap() -> None:
    waits = []
    for failures in range(attempts.CLIENT_MAX_FAILURES):
        booked = _book([NOW - timedelta(minutes=1)] * failures)
        assert isinstance(booked, attempts.Booking)
        waits.append(booked.wait(NOW).total_seconds())
    assert waits == [0, 0, 0, 2, 4, 8, 16]
    assert max(waits) <= attempts.WAIT_CAP.total_seconds()


def test_past_the_cap_a_client_is_answered_at_once_until_its_failures_age_out() -> None:
    failures = [NOW - timedelta(minutes=m) for m in (14, 10, 9, 8, 7, 6, 5)]
    refused = _book(failures)
    assert isinstance(refused, attempts.Refusal)
    assert (refused.scope, refused.seconds) == ("client", 60)  # the 14-minute-old one ages out
    assert isinstance(_book(failures[1:]), attempts.Booking)
    old = [NOW - timedelta(minutes=16)] * 20
    assert _book(old) == attempts.Booking(NOW, NOW)


def test_a_site_spaces_its_checks_only_past_its_free_failures() -> None:
    assert _book([], site_failures=attempts.SITE_FREE_FAILURES - 1) == attempts.Booking(NOW, NOW)
    spaced = _book([], site_failures=attempts.SITE_FREE_FAILURES)
    assert spaced == attempts.Booking(NOW, NOW + attempts.SITE_SPACING)
    soon = _book([], site_failures=40, site_next=NOW + timedelta(seconds=20))
    assert soon == attempts.Booking(
        NOW + timedelta(seconds=20), NOW + timedelta(seconds=20) + attempts.SITE_SPACING
    )
    later = _book([], site_failures=40, site_next=NOW + timedelta(minutes=10))
    assert isinstance(later, attempts.Refusal)
    assert (later.scope, later.seconds) == ("site", 570)  # until the slot is within 30 s


def test_a_guesser_with_any_number_of_addresses_gets_at_most_90_failures_a_day() -> None:
    failures = attempts.simulate_site_attack(timedelta(days=30), NOW, every=timedelta(seconds=5))
    assert attempts.max_site_failures(failures) == 90  # 30 at once, then one per 24 min
    assert len(failures) < 30 * 64  # steady state: 60 a day


def test_the_odds_of_a_guess_per_waiting_parcel_per_site_per_day() -> None:
    one = attempts.guess_probability(failures=90, active_codes=1, code_space=CODE_SPACE)
    assert 8.9e-9 < one <= 1e-8
    full = attempts.guess_probability(failures=90, active_codes=60, code_space=CODE_SPACE)
    assert 5.3e-7 < full < 5.5e-7  # a full 60-compartment site: 60 times one parcel's odds

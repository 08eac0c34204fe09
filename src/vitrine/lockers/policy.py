"""The operating rules of the lockers (hold time, reminder, fallback, sizes), from the settings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from vitrine.lockers.sizes import DEFAULT_SIZES, CompartmentSize, size_table
from vitrine.settings import Settings


@dataclass(frozen=True)
class LockerPolicy:
    secret_key: str
    pickup_hold: timedelta = timedelta(days=3)
    reminder_before_expiry: timedelta = timedelta(days=1)
    reservation: timedelta = timedelta(minutes=30)
    fallback_km: float = 3.0
    sizes: tuple[CompartmentSize, ...] = field(default_factory=lambda: size_table(DEFAULT_SIZES))

    @classmethod
    def from_values(
        cls,
        *,
        secret_key: str,
        pickup_hold_days: float,
        pickup_reminder_hours: float,
        reservation_minutes: float,
        fallback_km: float,
        sizes: Mapping[str, Sequence[int]],
    ) -> LockerPolicy:
        return cls(
            secret_key=secret_key,
            pickup_hold=timedelta(days=pickup_hold_days),
            reminder_before_expiry=timedelta(hours=pickup_reminder_hours),
            reservation=timedelta(minutes=reservation_minutes),
            fallback_km=fallback_km,
            sizes=size_table(sizes),
        )


def policy_from_settings(settings: Settings) -> LockerPolicy:
    return LockerPolicy.from_values(
        secret_key=settings.secret_key,
        pickup_hold_days=settings.pickup_hold_days,
        pickup_reminder_hours=settings.pickup_reminder_hours,
        reservation_minutes=settings.reservation_minutes,
        fallback_km=settings.locker_fallback_km,
        sizes=settings.locker_sizes,
    )

"""What can go wrong with a locker request, each with a message a person can act on."""

from __future__ import annotations

from typing import Literal

PickupProblem = Literal[
    "malformed", "wrong_code", "expired", "already_used", "too_many_attempts", "bad_token"
]


class LockerError(Exception):
    """A locker request that cannot be carried out; nothing was changed."""


class UnknownSite(LockerError):
    pass


class UnknownParcel(LockerError):
    pass


class WrongState(LockerError):
    """The parcel or compartment is not in a state that allows the request."""


class NoRoom(LockerError):
    """No compartment of a fitting size is free at the site (nor, for a deposit, nearby)."""


class CourierRefused(LockerError):
    """The courier token is unknown or revoked."""


class PickupRefused(LockerError):
    def __init__(self, problem: PickupProblem, message: str, retry_after_seconds: int = 0):
        super().__init__(message)
        self.problem = problem
        self.retry_after_seconds = retry_after_seconds

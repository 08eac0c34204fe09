"""The payment gateway interface the checkout talks to, and its typed outcomes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class CardDetails:
    number: str
    expiry_month: int
    expiry_year: int
    cvc: str
    holder: str = ""


@dataclass(frozen=True)
class ChargeRequest:
    amount_minor: int
    currency: str
    card: CardDetails
    idempotency_key: str
    description: str = ""


@dataclass(frozen=True)
class ChargeResult:
    """A captured charge (`succeeded`) or a refusal with a machine code and a message for people."""

    succeeded: bool
    gateway_reference: str
    decline_code: str = ""
    message: str = ""


class GatewayUnavailable(RuntimeError):
    """The gateway did not answer (network, timeout): whether it charged is not known yet."""


class PaymentGateway(Protocol):
    """Authorize-and-capture in one call; the same idempotency key never charges twice.

    `find_charge` answers "did you charge key K?" (the first answer given for K, or None if K
    was never charged or refused), which is how an interrupted checkout is settled later.
    """

    name: str

    def charge(self, request: ChargeRequest) -> ChargeResult: ...

    def find_charge(self, idempotency_key: str) -> ChargeResult | None: ...

    def refund(self, gateway_reference: str, amount_minor: int, idempotency_key: str) -> bool: ...

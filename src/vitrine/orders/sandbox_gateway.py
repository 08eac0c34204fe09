"""A built-in gateway that behaves like a real one with documented test cards (no money moves).

| card number         | outcome                               |
| ------------------- | ------------------------------------- |
| 4242 4242 4242 4242 | approved and captured                 |
| 4000 0000 0000 0002 | declined (`card_declined`)            |
| 4000 0000 0000 9995 | declined (`insufficient_funds`)       |
| 4000 0000 0000 0069 | declined (`expired_card`)             |
Any other number that passes the Luhn check is approved; one that fails it is `invalid_number`.
A past expiry date is `expired_card`; a CVC that is not 3-4 digits is `invalid_cvc`.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime

from vitrine.orders.payments import ChargeRequest, ChargeResult

DECLINING_CARDS = {
    "4000000000000002": ("card_declined", "The card was declined."),
    "4000000000009995": ("insufficient_funds", "The card has insufficient funds."),
    "4000000000000069": ("expired_card", "The card has expired."),
}


def luhn_valid(number: str) -> bool:
    if not number.isdigit() or not 12 <= len(number) <= 19:
        return False
    total = 0
    for position, digit in enumerate(int(d) for d in reversed(number)):
        doubled = digit * 2 if position % 2 else digit
        total += doubled - 9 if doubled > 9 else doubled
    return total % 10 == 0


def _refusal(request: ChargeRequest, today: datetime) -> tuple[str, str] | None:
    card = request.card
    number = card.number.replace(" ", "").replace("-", "")
    if not luhn_valid(number):
        return "invalid_number", "The card number is not valid."
    if (card.expiry_year, card.expiry_month) < (today.year, today.month):
        return "expired_card", "The card has expired."
    if not (card.cvc.isdigit() and len(card.cvc) in (3, 4)):
        return "invalid_cvc", "The security code is not valid."
    return DECLINING_CARDS.get(number)


@dataclass
class SandboxGateway:
    """Thread-safe; remembers every idempotency key it has answered, like a real gateway."""

    name: str = "sandbox"
    _answers: dict[str, ChargeResult] = field(default_factory=dict)
    _refunds: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    charges_captured: int = 0

    def charge(self, request: ChargeRequest) -> ChargeResult:
        with self._lock:
            known = self._answers.get(request.idempotency_key)
            if known is not None:
                return known
            refusal = _refusal(request, datetime.now(UTC))
            reference = f"sbx_{secrets.token_hex(12)}"
            if refusal is None:
                result = ChargeResult(True, reference)
                self.charges_captured += 1
            else:
                result = ChargeResult(False, reference, refusal[0], refusal[1])
            self._answers[request.idempotency_key] = result
            return result

    def refund(self, gateway_reference: str, amount_minor: int, idempotency_key: str) -> bool:
        with self._lock:
            self._refunds.add(idempotency_key)
            return True

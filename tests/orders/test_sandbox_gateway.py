"""The sandbox gateway answers like a real one: documented test cards, idempotency keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from vitrine.orders.payments import CardDetails, ChargeRequest
from vitrine.orders.sandbox_gateway import SandboxGateway, luhn_valid


def _charge(gateway: SandboxGateway, number: str, key: str = "k1", **card: object) -> object:
    details = {"expiry_month": 12, "expiry_year": 2099, "cvc": "123", **card}
    request = ChargeRequest(1000, "EUR", CardDetails(number, **details), key)  # type: ignore[arg-type]
    return gateway.charge(request)


@pytest.mark.parametrize(
    ("number", "code"),
    [("4000 0000 0000 0002", "card_declined"), ("4000000000009995", "insufficient_funds"),
     ("4000000000000069", "expired_card"), ("4242424242424241", "invalid_number")],
)  # fmt: skip
def test_test_cards_decline_with_their_codes(number: str, code: str) -> None:
    result = _charge(SandboxGateway(), number)
    assert (result.succeeded, result.decline_code) == (False, code)  # type: ignore[attr-defined]
    assert result.message  # type: ignore[attr-defined]


def test_a_past_expiry_and_a_bad_cvc_are_refused() -> None:
    gateway = SandboxGateway()
    expired = _charge(gateway, "4242424242424242", "a", expiry_year=2020)
    assert expired.decline_code == "expired_card"  # type: ignore[attr-defined]
    assert _charge(gateway, "4242424242424242", "b", cvc="12x").decline_code == "invalid_cvc"  # type: ignore[attr-defined]


def test_the_same_idempotency_key_charges_once() -> None:
    gateway = SandboxGateway()
    first = _charge(gateway, "4242424242424242", "same")
    second = _charge(gateway, "4242424242424242", "same")
    assert first == second
    assert gateway.charges_captured == 1


def test_luhn() -> None:
    assert luhn_valid("4242424242424242")
    assert not luhn_valid("4242424242424243")
    assert not luhn_valid("42")


def test_the_ledger_outlives_the_gateway_that_wrote_it(tmp_path: Path) -> None:
    ledger = tmp_path / "sandbox-gateway.sqlite3"
    first = _charge(SandboxGateway(ledger), "4242424242424242", "kept")
    declined = _charge(SandboxGateway(ledger), "4000000000000002", "refused")
    after_a_restart = SandboxGateway(ledger)
    assert after_a_restart.find_charge("kept") == first
    assert after_a_restart.find_charge("refused") == declined
    assert after_a_restart.find_charge("never-sent") is None
    assert _charge(after_a_restart, "4242424242424242", "kept") == first
    assert after_a_restart.charges_captured == 1
    assert after_a_restart.refund(first.gateway_reference, 1000, "refund-kept")  # type: ignore[attr-defined]
    assert after_a_restart.captured_references() == set()

"""A built-in gateway that behaves like a real one with documented test cards (no money moves).

| card number         | outcome                               |
| ------------------- | ------------------------------------- |
| 4242 4242 4242 4242 | approved and captured                 |
| 4000 0000 0000 0002 | declined (`card_declined`)            |
| 4000 0000 0000 9995 | declined (`insufficient_funds`)       |
| 4000 0000 0000 0069 | declined (`expired_card`)             |
Any other number that passes the Luhn check is approved; one that fails it is `invalid_number`.
A past expiry date is `expired_card`; a CVC that is not 3-4 digits is `invalid_cvc`.

Like a real gateway it is another system: it keeps its own ledger of answers by idempotency key
(an SQLite file it owns, `<data dir>/sandbox-gateway.sqlite3` in an installation), committed
before `charge` returns, so "did you charge key K?" is answered after our process died.
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from vitrine.i18n.translator import N_
from vitrine.orders.payments import ChargeRequest, ChargeResult

DECLINING_CARDS = {
    "4000000000000002": ("card_declined", N_("The card was declined.")),
    "4000000000009995": ("insufficient_funds", N_("The card has insufficient funds.")),
    "4000000000000069": ("expired_card", N_("The card has expired.")),
}
LEDGER_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS charges (idempotency_key TEXT PRIMARY KEY, reference TEXT NOT NULL,"
    " succeeded INTEGER NOT NULL, decline_code TEXT NOT NULL, message TEXT NOT NULL,"
    " amount_minor INTEGER NOT NULL, currency TEXT NOT NULL, created_at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS refunds (idempotency_key TEXT PRIMARY KEY,"
    " reference TEXT NOT NULL, amount_minor INTEGER NOT NULL, created_at TEXT NOT NULL)",
)


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


class SandboxGateway:
    """Thread- and process-safe; remembers every idempotency key it has answered, durably.

    With `ledger_path` (what an installation uses) every answer is committed to that SQLite
    file before it is returned, and several processes share it; without, the ledger lives in
    this object's memory (unit tests of the cards).
    """

    name = "sandbox"

    def __init__(self, ledger_path: Path | None = None) -> None:
        self.ledger_path = ledger_path
        self._lock = threading.Lock()
        self._memory: sqlite3.Connection | None = None
        if ledger_path is None:
            self._memory = sqlite3.connect(
                ":memory:", check_same_thread=False, isolation_level=None
            )
        else:
            ledger_path.parent.mkdir(parents=True, exist_ok=True)
        with self._ledger() as ledger:
            for statement in LEDGER_SCHEMA:
                ledger.execute(statement)

    @contextmanager
    def _ledger(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE: one writer at a time across processes)."""
        with self._lock:
            if self._memory is not None:
                connection = self._memory
            else:
                connection = sqlite3.connect(
                    self.ledger_path or "", timeout=30, isolation_level=None
                )
                connection.execute("PRAGMA journal_mode=WAL")
                connection.execute("PRAGMA synchronous=FULL")
            try:
                connection.execute("BEGIN IMMEDIATE")
                yield connection
                connection.execute("COMMIT")
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            finally:
                if connection is not self._memory:
                    connection.close()

    def charge(self, request: ChargeRequest) -> ChargeResult:
        with self._ledger() as ledger:
            known = _answer(ledger, request.idempotency_key)
            if known is not None:
                return known
            refusal = _refusal(request, datetime.now(UTC))
            reference = f"sbx_{secrets.token_hex(12)}"
            if refusal is None:
                result = ChargeResult(True, reference)
            else:
                result = ChargeResult(False, reference, refusal[0], refusal[1])
            ledger.execute(
                "INSERT INTO charges VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    request.idempotency_key,
                    reference,
                    int(result.succeeded),
                    result.decline_code,
                    result.message,
                    request.amount_minor,
                    request.currency,
                    datetime.now(UTC).isoformat(),
                ),
            )
            return result

    def find_charge(self, idempotency_key: str) -> ChargeResult | None:
        with self._ledger() as ledger:
            return _answer(ledger, idempotency_key)

    def refund(self, gateway_reference: str, amount_minor: int, idempotency_key: str) -> bool:
        with self._ledger() as ledger:
            ledger.execute(
                "INSERT OR IGNORE INTO refunds VALUES (?, ?, ?, ?)",
                (idempotency_key, gateway_reference, amount_minor, datetime.now(UTC).isoformat()),
            )
            return True

    @property
    def charges_captured(self) -> int:
        """How many charges were ever captured (refunded ones included)."""
        with self._ledger() as ledger:
            row = ledger.execute("SELECT count(*) FROM charges WHERE succeeded = 1").fetchone()
            return int(row[0])

    def captured_references(self) -> set[str]:
        """References of the captured charges not refunded (what an audit compares with orders)."""
        with self._ledger() as ledger:
            rows = ledger.execute(
                "SELECT reference FROM charges WHERE succeeded = 1"
                " AND reference NOT IN (SELECT reference FROM refunds)"
            ).fetchall()
            return {str(row[0]) for row in rows}


def _answer(ledger: sqlite3.Connection, idempotency_key: str) -> ChargeResult | None:
    row = ledger.execute(
        "SELECT succeeded, reference, decline_code, message FROM charges WHERE idempotency_key = ?",
        (idempotency_key,),
    ).fetchone()
    if row is None:
        return None
    return ChargeResult(bool(row[0]), str(row[1]), str(row[2]), str(row[3]))

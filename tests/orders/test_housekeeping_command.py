"""`vitrine housekeeping` settles interrupted checkouts; the lockers-only command still works."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from tests.orders.conftest import Shop
from tests.orders.test_recovery import assert_shop_consistent, crash_checkout, order_of
from vitrine.cli import app
from vitrine.orders.states import CANCELLED, PAID

runner = CliRunner()


def _run(shop: Shop, *args: str) -> str:
    settings = shop.installation.settings
    global_options = ["--data-dir", str(settings.data_dir), "--database-url", settings.database_url]
    result = runner.invoke(app, [*global_options, *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_housekeeping_completes_charged_and_cancels_uncharged_checkouts(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    charged = shop.request(shop.cart_with())
    never_charged = shop.request(shop.cart_with())
    crash_checkout(shop, "charged", charged)
    crash_checkout(shop, "attempt_recorded", never_charged)

    output = _run(shop, "housekeeping")
    assert "0 interrupted checkouts completed" in output  # younger than the 5 minutes

    monkeypatch.setenv("VITRINE_CHECKOUT_RECOVERY_MINUTES", "0")
    output = _run(shop, "housekeeping")

    assert "1 interrupted checkouts completed (charged), 1 cancelled (not charged)" in output
    assert "messages sent" in output  # the locker jobs ran too (and sent the confirmation)
    assert order_of(shop, charged.idempotency_key).state == PAID
    assert order_of(shop, never_charged.idempotency_key).state == CANCELLED
    assert_shop_consistent(shop)
    assert "reservations expired" in _run(shop, "lockers", "housekeeping")

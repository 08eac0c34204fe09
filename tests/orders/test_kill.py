"""A real process killed with SIGKILL right after the charge: the reconciler completes its order."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

import vitrine
from tests.orders.conftest import Shop
from tests.orders.test_recovery import assert_shop_consistent, order_of
from vitrine.db import utc_now
from vitrine.orders.flows import checkout
from vitrine.orders.recovery_service import reconcile
from vitrine.orders.states import PAID, PLACED

# Runs one checkout against the test's database and sandbox ledger, and SIGKILLs itself the
# moment the gateway has charged (before the payment is settled in the database).
CHECKOUT_THEN_DIE = """
import os, signal, sys
from vitrine.installation import open_installation
from vitrine.lockers.policy import LockerPolicy
from vitrine.orders.contact import CheckoutDetails
from vitrine.orders.flows import CheckoutDesk, CheckoutRequest, checkout
from vitrine.orders.payments import CardDetails
from vitrine.orders.sandbox_gateway import SandboxGateway
from vitrine.settings import Settings

data_dir, database_url, cart_id, key = sys.argv[1:5]
settings = Settings(environment="test", data_dir=data_dir, database_url=database_url)
installation = open_installation(settings, migrate=False)

def die_after_the_charge(step):
    if step == "charged":
        os.kill(os.getpid(), signal.SIGKILL)

desk = CheckoutDesk(
    session_factory=installation.session_factory,
    gateway=SandboxGateway(settings.sandbox_ledger),
    locker_policy=LockerPolicy(secret_key="test-secret"),
    checkpoint=die_after_the_charge,
)
details = CheckoutDetails(email="lea@example.fr", phone="", delivery_method="home",
    recipient_name="Lea", address_line="12 rue Rambuteau", postcode="75003", city="Paris")
card = CardDetails("4242 4242 4242 4242", 12, 2099, "123")
checkout(desk=desk, request=CheckoutRequest(cart_id, details, card, key))
print("survived")
"""


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_a_checkout_process_killed_after_the_charge_is_completed_by_the_reconciler(
    shop: Shop,
) -> None:
    cart_id = shop.cart_with(quantity=2)
    request = shop.request(cart_id)
    settings = shop.installation.settings
    source_root = Path(vitrine.__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(source_root)}
    arguments = [str(settings.data_dir), settings.database_url, cart_id, request.idempotency_key]

    died = subprocess.run(
        [sys.executable, "-c", CHECKOUT_THEN_DIE, *arguments],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert died.returncode == -signal.SIGKILL, died.stderr
    assert "survived" not in died.stdout
    order = order_of(shop, request.idempotency_key)
    assert (order.state, [p.status for p in order.payments]) == (PLACED, ["pending"])
    assert shop.gateway.find_charge(f"order-{order.id}") is not None  # its ledger outlived it

    report = reconcile(shop.desk, now=utc_now() + timedelta(minutes=10))

    assert report.completed == 1
    order = order_of(shop, request.idempotency_key)
    assert (order.state, [p.status for p in order.payments]) == (PAID, ["captured"])
    assert order.events[-1].actor == "reconciler"
    retry = checkout(desk=shop.desk, request=request)
    assert (retry.tracking_token, retry.state, retry.replayed) == (order.tracking_token, PAID, True)
    assert shop.gateway.charges_captured == 1
    assert_shop_consistent(shop)

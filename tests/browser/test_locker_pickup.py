"""A shopper picks up a parcel at the locker kiosk page with the code from the outbox."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Page, expect

from tests.browser.conftest import _free_port, screenshot
from tests.lockers.conftest import code_sent_to, make_site
from vitrine.installation import open_installation
from vitrine.lockers import flows
from vitrine.lockers import parcel_service as parcels
from vitrine.lockers.policy import policy_from_settings
from vitrine.settings import Settings
from vitrine.web.app import create_app

pytestmark = pytest.mark.browser


@dataclass
class LockerServer:
    url: str
    site_id: str
    code: str


@pytest.fixture
def locker_server(tmp_path: Path) -> Iterator[LockerServer]:
    """A server with one site whose compartment A01 holds a parcel; the code the shopper got."""
    settings = Settings(environment="test", data_dir=tmp_path / "data")
    installation = open_installation(settings)
    policy = policy_from_settings(settings)
    with installation.session_factory() as db_session:
        site = make_site(db_session)
        _, token = parcels.create_courier(db_session=db_session, name="Rapide")
        parcels.reserve_compartment(
            db_session=db_session,
            site_id=site.id,
            size="S",
            order_ref="order-1",
            recipient="+33612345678",
            policy=policy,
        )
        parcels.confirm_reservation(db_session=db_session, order_ref="order-1")
        flows.deposit(
            db_session=db_session,
            courier_token=token,
            site_id=site.id,
            order_ref="order-1",
            policy=policy,
        )
        code = code_sent_to(db_session, "+33612345678", policy.secret_key)
    server = uvicorn.Server(
        uvicorn.Config(create_app(installation), port=_free_port(), log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the test server did not start"
        time.sleep(0.05)
    yield LockerServer(f"http://127.0.0.1:{server.config.port}", site.id, code)
    server.should_exit = True
    thread.join(timeout=10)
    installation.dispose()


def test_a_shopper_opens_the_compartment_with_the_code(
    locker_server: LockerServer, phone_page: Page
) -> None:
    phone_page.goto(f"{locker_server.url}/locker/{locker_server.site_id}")
    expect(phone_page.locator("h1")).to_have_text("Les Halles")
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390

    phone_page.fill("#code", "000 000 0000")
    phone_page.get_by_role("button", name="Open my compartment").click()
    expect(phone_page.get_by_test_id("error")).to_have_text(
        "Wrong code: check the digits in your message."
    )
    screenshot(phone_page, "locker-kiosk-wrong-code")

    code = locker_server.code
    phone_page.fill("#code", f"{code[:3]} {code[3:6]} {code[6:]}")
    phone_page.get_by_role("button", name="Open my compartment").click()
    expect(phone_page.get_by_test_id("opened")).to_have_text("Compartment A01 is open")
    screenshot(phone_page, "locker-kiosk-opened")

    phone_page.fill("#code", code)
    phone_page.get_by_role("button", name="Open my compartment").click()
    expect(phone_page.get_by_test_id("error")).to_contain_text("already used")

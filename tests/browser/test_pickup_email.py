"""The whole locker path on a phone, in French: order for locker pickup, the courier deposits,
housekeeping sends the email to a real SMTP server, the order page shows the code and its QR,
and the typed code opens the compartment."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.browser.conftest import PHONE, _free_port, screenshot
from tests.notifications.smtp_server import Mailbox, decode_qr, smtp_server
from vitrine.catalog.models import Product
from vitrine.demo.loader import load_demo, load_demo_lockers
from vitrine.installation import Installation, open_installation
from vitrine.lockers import flows
from vitrine.lockers import parcel_service as parcels
from vitrine.lockers.policy import policy_from_settings
from vitrine.notifications import service as outbox
from vitrine.orders import service as orders
from vitrine.settings import Settings
from vitrine.web.app import create_app

pytestmark = pytest.mark.browser


@dataclass
class MailingShop:
    url: str
    installation: Installation
    mailbox: Mailbox


@pytest.fixture
def mailing_shop(tmp_path: Path) -> Iterator[MailingShop]:
    """The demo shop with its email going to a real SMTP server started here."""
    port = _free_port()
    with smtp_server() as relay:
        settings = Settings(
            environment="test",
            data_dir=tmp_path / "data",
            public_url=f"http://127.0.0.1:{port}",
            smtp_host="127.0.0.1",
            smtp_port=relay.port,
            smtp_security="none",
            smtp_from="Vitrine <shop@example.com>",
        )
        installation = open_installation(settings)
        with installation.session_factory() as session, session.begin():
            load_demo(
                db_session=session,
                media=installation.media,
                data_dir=settings.data_dir,
                currency="EUR",
            )
        load_demo_lockers(session_factory=installation.session_factory)
        server = uvicorn.Server(
            uvicorn.Config(create_app(installation), port=port, log_level="warning")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            assert time.monotonic() < deadline, "the test server did not start"
            time.sleep(0.05)
        yield MailingShop(settings.public_url, installation, relay.mailbox)
        server.should_exit = True
        thread.join(timeout=10)
        installation.dispose()


@pytest.fixture
def french_phone(browser: object) -> Iterator[Page]:
    context = browser.new_context(  # type: ignore[attr-defined]
        viewport=PHONE, device_scale_factor=2, is_mobile=True, locale="fr-FR"
    )
    yield context.new_page()
    context.close()


def _qr_of(png: bytes) -> str:
    return decode_qr(png)


def _courier_deposits(shop: MailingShop, tracking_token: str) -> str:
    """The courier puts the parcel in; returns the site's id."""
    with shop.installation.session_factory() as session:
        order = orders.get_order_by_tracking(db_session=session, tracking_token=tracking_token)
        assert order is not None and order.locker_site_id is not None
        _, token = parcels.create_courier(db_session=session, name="Rapide")
        flows.deposit(
            db_session=session,
            courier_token=token,
            site_id=order.locker_site_id,
            order_ref=order.id,
            policy=policy_from_settings(shop.installation.settings),
        )
        return order.locker_site_id


def _housekeeping(shop: MailingShop) -> None:
    settings = shop.installation.settings
    with shop.installation.session_factory() as session:
        report = flows.housekeeping(
            db_session=session,
            policy=policy_from_settings(settings),
            delivery=outbox.delivery_from_settings(settings),
        )
    assert report.messages.sent == 2 and report.messages.held == 0  # confirmation + code


def test_order_housekeeping_email_then_the_typed_code_opens_the_compartment(
    mailing_shop: MailingShop, french_phone: Page
) -> None:
    page = french_phone
    with mailing_shop.installation.session_factory() as session:
        kiwi = session.scalar(select(Product.id).where(Product.name == "Kiwi"))
    page.goto(f"{mailing_shop.url}/products/{kiwi}")
    page.get_by_test_id("add-to-cart").click()
    page.get_by_test_id("go-checkout").click()
    page.fill('input[name="email"]', "lea@example.fr")
    page.get_by_test_id("locker-choice").check()
    page.locator('input[name="locker_site_id"]').first.check()
    page.fill('input[name="card_number"]', "4242 4242 4242 4242")
    page.fill('input[name="expiry"]', "12/30")
    page.fill('input[name="cvc"]', "123")
    page.get_by_test_id("pay").click()
    expect(page).to_have_url(re.compile(r"/orders/[A-Za-z0-9_-]{32}$"))
    order_url = page.url
    site_id = _courier_deposits(mailing_shop, order_url.rsplit("/", 1)[1])

    _housekeeping(mailing_shop)
    [email] = [m for m in mailing_shop.mailbox.received if m["Subject"].startswith("Votre colis")]
    assert isinstance(email, EmailMessage)
    text = email.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    found = re.search(r"Code de retrait : (\d{3} \d{3} \d{4})", text)
    assert found is not None and order_url in text
    [qr_image] = [p for p in email.walk() if p.get_content_type() == "image/png"]
    token = _qr_of(qr_image.get_content())
    assert token.startswith("VP1-")  # the signed token the kiosk opens with at once

    page.goto(order_url)
    expect(page.get_by_test_id("pickup-code")).to_have_text(found.group(1))
    assert _qr_of(page.get_by_test_id("pickup-qr").screenshot()) == token
    expect(page.get_by_test_id("messages")).to_contain_text("envoyé")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "order-pickup-code")

    page.goto(f"{mailing_shop.url}/locker/{site_id}")
    page.fill("#code", found.group(1))
    page.locator("form button[type=submit]").click()
    expect(page.get_by_test_id("opened")).to_be_visible()
    screenshot(page, "locker-kiosk-opened-from-email")
    page.goto(order_url)
    expect(page.get_by_test_id("locker-status")).to_be_visible()
    expect(page.get_by_test_id("pickup-code")).to_have_count(0)

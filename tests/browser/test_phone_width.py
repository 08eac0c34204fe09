"""Every shopper and operator page fits a 390 px phone: no horizontal scrolling (the document is
no wider than the screen), with a screenshot of each in docs/screenshots/ (phone-*.png)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from tests.browser.conftest import PHONE, TEST_PHOTOS, LiveShop
from vitrine.demo.loader import DEMO_OPERATOR_EMAIL, OPERATOR_LOGIN_FILE
from vitrine.live import service as live
from vitrine.lockers.models import LockerSite
from vitrine.showrooms.models import Showroom

pytestmark = pytest.mark.browser

DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _width_of(page: Page, name: str) -> int:
    """The page's scroll width; its screenshot (the whole page, 1x) goes to the docs."""
    page.wait_for_load_state("load")
    width = int(page.evaluate("document.documentElement.scrollWidth"))
    DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(DOCS_SCREENSHOTS / f"phone-{name}.png"), full_page=True)
    return width


def _phone(browser: Browser, language: str = "en") -> Page:
    context = browser.new_context(viewport=PHONE, is_mobile=True, locale=language)
    return context.new_page()


def _ids(live_shop: LiveShop) -> tuple[str, str, str]:
    with live_shop.installation.session_factory() as session:
        showroom = session.scalars(select(Showroom).where(Showroom.slug == "les-halles")).one()
        site = session.scalars(select(LockerSite).order_by(LockerSite.name)).first()
        assert site is not None
        session_live = live.create_session(
            db_session=session,
            showroom_id=showroom.id,
            title="Breakfast live: oat milks, yoghurts and the best apples of the season",
            scheduled_at=datetime.now(UTC) + timedelta(hours=2),
            playback_url="http://127.0.0.1:9/no-stream.m3u8",
        )
        session.commit()
        return showroom.id, site.ref, session_live.id


def _shopper_pages(page: Page, url: str, site_ref: str, live_id: str) -> dict[str, int]:
    widths = {}

    def visit(name: str, path: str) -> None:
        page.goto(url + path)
        widths[name] = _width_of(page, name)

    visit("landing", "/s/les-halles")
    page.get_by_test_id("photo-input").set_input_files(str(TEST_PHOTOS / "banana-in-store.jpg"))
    expect(page).to_have_url(re.compile(r"/match/"), timeout=30_000)
    widths["photo-result"] = _width_of(page, "photo-result")
    page.get_by_test_id("not-this-one").click()
    expect(page.get_by_test_id("feedback-thanks")).to_be_visible()
    widths["not-this-one"] = _width_of(page, "not-this-one")
    page.get_by_test_id("pick").first.click()  # "it is this one": a candidate for the operator
    expect(page.get_by_test_id("add-to-cart")).to_be_visible()
    visit("text-search", "/s/les-halles/find?q=apple")
    visit("text-search-nothing", "/s/les-halles/find?q=bicycle")
    visit("cart-empty", "/cart")
    page.goto(url + "/s/les-halles/find?q=oat milk")
    page.get_by_text("Oatly Oat Milk").first.click()
    widths["product"] = _width_of(page, "product")
    page.get_by_test_id("add-to-cart").click()
    widths["cart"] = _width_of(page, "cart")
    page.get_by_test_id("go-checkout").click()
    widths["checkout"] = _width_of(page, "checkout")
    page.fill('input[name="email"]', "lea.martin-dupont.long-address@example.fr")
    page.get_by_test_id("locker-choice").check()
    page.locator('input[name="locker_site_id"]').first.check()
    page.fill('input[name="card_number"]', "4242 4242 4242 4242")
    page.fill('input[name="expiry"]', "12/30")
    page.fill('input[name="cvc"]', "123")
    page.get_by_test_id("pay").click()
    expect(page.get_by_test_id("order-thanks")).to_be_visible()
    widths["order-tracking"] = _width_of(page, "order-tracking")
    visit("account", "/account")
    visit("live-list", "/live")
    visit("live-viewer", f"/live/{live_id}")
    visit("locker-kiosk", f"/locker/{site_ref}")
    visit("not-found", "/no/such/page")
    visit("api-docs", "/docs")
    return widths


def _log_in(page: Page, live_shop: LiveShop) -> None:
    password = (live_shop.installation.settings.data_dir / OPERATOR_LOGIN_FILE).read_text().strip()
    page.goto(live_shop.url + "/operator/login")
    page.fill('input[name="email"]', DEMO_OPERATOR_EMAIL)
    page.fill('input[name="password"]', password)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("h1")).to_have_text("Showrooms")


def _operator_pages(page: Page, live_shop: LiveShop, showroom_id: str, live_id: str) -> dict:
    widths = {}
    page.goto(live_shop.url + "/operator/login")
    widths["operator-login"] = _width_of(page, "operator-login")
    _log_in(page, live_shop)
    room = f"/operator/showrooms/{showroom_id}"
    for name, path in [
        ("operator-showrooms", "/operator"),
        ("operator-showroom", room),
        ("operator-dashboard", f"{room}/dashboard"),
        ("operator-orders", f"{room}/orders"),
        ("operator-live-sessions", "/operator/live"),
        ("operator-live-host", f"/operator/live/{live_id}"),
        ("operator-live-report", f"/operator/live/{live_id}/report"),
    ]:
        page.goto(live_shop.url + path)
        widths[name] = _width_of(page, name)
    page.goto(live_shop.url + room)
    page.get_by_role("link", name=re.compile(r"\d+ photos")).first.click()
    widths["operator-enroll"] = _width_of(page, "operator-enroll")
    page.goto(live_shop.url + room)
    page.get_by_test_id("candidates-link").click()
    expect(page.get_by_test_id("candidate").first).to_be_visible()
    widths["operator-candidates"] = _width_of(page, "operator-candidates")
    page.goto(f"{live_shop.url}{room}/dashboard")
    page.get_by_test_id("it-was-this-product").first.click()
    page.fill('input[name="q"]', "banana")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("label-choices")).to_be_visible()
    widths["operator-label-photo"] = _width_of(page, "operator-label-photo")
    return widths


def test_every_page_fits_a_phone(live_shop: LiveShop, browser: Browser) -> None:
    showroom_id, site_ref, live_id = _ids(live_shop)
    shopper = _phone(browser)
    widths = _shopper_pages(shopper, live_shop.url, site_ref, live_id)
    french = _phone(browser, "fr-FR")
    french.goto(live_shop.url + "/s/les-halles")
    widths["landing-fr"] = _width_of(french, "landing-fr")
    chinese = _phone(browser, "zh-CN")
    chinese.goto(live_shop.url + "/s/les-halles/find?q=苹果")
    widths["text-search-zh"] = _width_of(chinese, "text-search-zh")
    operator = _phone(browser)
    widths |= _operator_pages(operator, live_shop, showroom_id, live_id)
    assert len(widths) >= 25
    assert {name: width for name, width in widths.items() if width > PHONE["width"]} == {}
    orders = operator.context.new_page()
    orders.goto(f"{live_shop.url}/operator/showrooms/{showroom_id}/orders")
    expect(orders.get_by_test_id("order-number").first).to_have_text(re.compile(r"^[0-9A-F]{8}$"))
    expect(orders.get_by_role("button", name="Mark as packed").first).to_be_visible()
    for page in (shopper, french, chinese, operator):
        page.context.close()

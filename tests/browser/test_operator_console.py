"""An operator logs in, opens a showroom, displays products, prints tags and reads the dashboard."""

from __future__ import annotations

import re

import cv2
import pypdfium2
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import PHONE, TEST_PHOTOS, LiveShop, screenshot
from vitrine.demo.loader import DEMO_OPERATOR_EMAIL, OPERATOR_LOGIN_FILE

pytestmark = pytest.mark.browser


def _log_in(page: Page, live_shop: LiveShop) -> None:
    password = (live_shop.installation.settings.data_dir / OPERATOR_LOGIN_FILE).read_text().strip()
    page.goto(live_shop.url + "/operator")
    expect(page).to_have_url(re.compile(r"/operator/login\?next="))
    page.fill('input[name="email"]', DEMO_OPERATOR_EMAIL)
    page.fill('input[name="password"]', "wrong-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("wrong email or password")
    page.fill('input[name="email"]', DEMO_OPERATOR_EMAIL)
    page.fill('input[name="password"]', password)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("h1")).to_have_text("Showrooms")


def _shop_as_a_visitor(browser: Browser, url: str) -> None:
    """A scripted shopper: lands, views the same product twice, adds it to the cart."""
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(url + "/s/popup-marais")
    page.get_by_text("Banana").first.click()
    page.reload()
    page.get_by_test_id("add-to-cart").click()
    expect(page.get_by_test_id("cart-lines")).to_be_visible()
    context.close()


def test_an_operator_runs_a_pop_up_showroom(live_shop: LiveShop, browser: Browser) -> None:
    context = browser.new_context(viewport={"width": 1200, "height": 900}, accept_downloads=True)
    page = context.new_page()
    _log_in(page, live_shop)
    form = page.get_by_test_id("new-showroom")
    form.locator('input[name="name"]').fill("Pop-up Marais")
    form.locator('input[name="slug"]').fill("popup-marais")
    form.get_by_role("button", name="Create").click()
    expect(page.locator("h1")).to_have_text("Pop-up Marais")

    page.fill('input[name="q"]', "banana")
    page.get_by_role("button", name="Search").click()
    page.get_by_test_id("candidates").get_by_role("button", name="Display these").click()
    expect(page.get_by_test_id("console-message")).to_have_text("1 products put on display")
    expect(page.get_by_test_id("display-items")).to_contain_text("Banana")

    page.get_by_role("link", name="0 photos").click()  # teach the search from the floor
    page.get_by_test_id("enroll-input").set_input_files(str(TEST_PHOTOS / "banana-in-store.jpg"))
    expect(page.get_by_test_id("enroll-message")).to_have_text(
        "1 photos added: the search uses them now"
    )
    expect(page.get_by_test_id("photo-count")).to_have_text("1")
    page.get_by_role("link", name="← Pop-up Marais").click()

    with page.expect_download() as download_info:
        page.get_by_test_id("tags-pdf").click()
    pdf_path = download_info.value.path()
    rendered = pypdfium2.PdfDocument(str(pdf_path))[0].render(scale=300 / 72).to_numpy()
    text, _points, _ = cv2.QRCodeDetector().detectAndDecode(
        cv2.cvtColor(rendered, cv2.COLOR_RGB2GRAY)
    )
    assert re.fullmatch(live_shop.url + r"/p/[2-9A-HJ-NP-Z]{8}", text), text

    _shop_as_a_visitor(browser, live_shop.url)
    page.get_by_role("link", name="Market-test dashboard").click()
    expect(page.get_by_test_id("visitors")).to_have_text("1")
    expect(page.get_by_test_id("by-interest")).to_contain_text("Banana")
    row = page.get_by_test_id("by-interest").locator("tbody tr").first
    expect(row.locator("td").nth(1)).to_have_text("2")  # two views
    expect(row.locator("td").nth(4)).to_have_text("1")  # one add to cart
    screenshot(page, "operator-dashboard")
    context.close()

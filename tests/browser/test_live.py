"""Live shopping in a real browser: a host console and two viewers on their phones."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import PHONE, LiveShop, screenshot
from vitrine.demo.loader import DEMO_OPERATOR_EMAIL, OPERATOR_LOGIN_FILE

pytestmark = pytest.mark.browser
NO_STREAM = "http://127.0.0.1:9/live/index.m3u8"  # nothing listens there: the poster shows


CSP_VIOLATIONS: list[str] = []


def _watch_csp(page: Page) -> None:
    """Keep every console message of a Content-Security-Policy violation (hls.js, live.js)."""
    page.on(
        "console",
        lambda message: (
            CSP_VIOLATIONS.append(message.text)
            if "Content Security Policy" in message.text
            else None
        ),
    )


def _host(browser: Browser, live_shop: LiveShop) -> tuple[BrowserContext, Page]:
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    password = (live_shop.installation.settings.data_dir / OPERATOR_LOGIN_FILE).read_text().strip()
    page.goto(live_shop.url + "/operator/live")
    page.fill('input[name="email"]', DEMO_OPERATOR_EMAIL)
    page.fill('input[name="password"]', password)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("h1")).to_have_text("Live sessions")
    form = page.get_by_test_id("new-live")
    form.locator('input[name="title"]').fill("Breakfast <b>live</b>")
    form.locator('input[name="playback_url"]').fill(NO_STREAM)
    form.get_by_role("button", name="Create").click()
    page.get_by_test_id("start").click()
    expect(page.get_by_test_id("live-state")).to_have_text("live")
    return context, page


def _viewer(browser: Browser, url: str) -> tuple[BrowserContext, Page]:
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
    page = context.new_page()
    _watch_csp(page)
    page.goto(url)
    expect(page.locator("#live")).to_have_attribute("data-connected", "1")
    return context, page


def _pay_at_home(page: Page) -> None:
    page.fill('input[name="email"]', "lea@example.fr")
    page.fill('input[name="recipient_name"]', "Léa Martin")
    page.fill('input[name="address_line"]', "12 rue Rambuteau")
    page.fill('input[name="postcode"]', "75003")
    page.fill('input[name="city"]', "Paris")
    page.fill('input[name="card_number"]', "4242 4242 4242 4242")
    page.fill('input[name="expiry"]', "12/30")
    page.fill('input[name="cvc"]', "123")
    page.get_by_test_id("pay").click()
    expect(page.get_by_test_id("order-thanks")).to_be_visible()


def _pin_and_moderate(host: Page, first: Page, second: Page) -> None:
    host.fill('input[name="q"]', "oat milk")
    host.get_by_role("button", name="Find").click()
    host.get_by_test_id("pin").first.click()
    for viewer in (first, second):  # no reload: the pin arrives on the event stream
        expect(viewer.get_by_test_id("pin-name")).to_have_text("Oatly Oat Milk")
    screenshot(second, "live-viewer-pinned")
    first.fill('input[name="body"]', "<b>Does it foam?</b>")
    first.get_by_test_id("send-comment").click()
    for page in (host, second):
        expect(page.get_by_test_id("comments")).to_contain_text("<b>Does it foam?</b>")
    second.fill('input[name="name"]', "Marc")
    second.fill('input[name="body"]', "Is it sold in 1 L cartons?")
    second.get_by_test_id("send-comment").click()
    expect(host.get_by_test_id("comments")).to_contain_text("1 L cartons")
    host.locator("#comments li", has_text="foam").get_by_test_id("remove-comment").click()
    for page in (first, second):
        expect(page.get_by_test_id("comments")).not_to_contain_text("foam")
        expect(page.get_by_test_id("comments")).to_contain_text("1 L cartons")


def test_a_host_pins_moderates_and_sells_a_flash_deal_to_two_viewers(
    live_shop: LiveShop, browser: Browser
) -> None:
    host_context, host = _host(browser, live_shop)
    session_url = host.url.replace("/operator/live/", "/live/")
    first_context, first = _viewer(browser, session_url)
    second_context, second = _viewer(browser, session_url)
    # Pushed to the host as viewers arrive, well before the stream's 8-12 s heartbeat.
    expect(host.get_by_test_id("viewer-count")).to_have_text("2", timeout=4_000)
    expect(first.get_by_test_id("poster")).to_be_visible(timeout=15_000)
    expect(first.get_by_test_id("live-state")).to_have_text("On air")
    expect(first.get_by_test_id("poster")).not_to_contain_text("not on air")
    expect(first.locator("h1")).to_have_text("Breakfast <b>live</b>")
    _pin_and_moderate(host, first, second)

    deal = host.get_by_test_id("deal-form")
    deal.locator('input[name="price"]').fill("0.99")
    deal.locator('input[name="quantity"]').fill("2")
    deal.get_by_test_id("set-deal").click()
    expect(first.get_by_test_id("deal-price")).to_have_text("€0.99")
    expect(second.get_by_test_id("deal-remaining")).to_have_text("2")
    for buyer in (first, second):
        buyer.get_by_test_id("buy").click()
        expect(buyer).to_have_url(re.compile(r"/checkout$"))
        _pay_at_home(buyer)
    expect(host.get_by_test_id("deal-remaining")).to_have_text("0")
    screenshot(host, "live-host-console")
    first.goto(session_url)
    expect(first.get_by_test_id("buy")).to_be_disabled()
    expect(first.get_by_test_id("buy")).to_have_text("the deal is sold out")
    screenshot(first, "live-viewer-sold-out")
    for context in (host_context, first_context, second_context):
        context.close()
    assert CSP_VIOLATIONS == []  # the pages, hls.js and the live script work under the CSP

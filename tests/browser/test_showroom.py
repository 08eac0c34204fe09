"""A shopper on a phone opens the demo showroom, sees the catalog and opens a product."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser


def test_a_shopper_browses_the_demo_showroom_on_a_phone(live_server: str, phone_page: Page) -> None:
    phone_page.goto(live_server + "/s/les-halles")  # the store's entrance QR points here
    cards = phone_page.locator('[data-testid="product-grid"] .card')
    expect(cards).to_have_count(81)
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scroll
    screenshot(phone_page, "showroom-phone")

    phone_page.get_by_text("Granny Smith").click()
    expect(phone_page.locator("h1")).to_have_text("Granny Smith")
    expect(phone_page.locator(".variant .price").first).to_contain_text("€")
    image_loaded = phone_page.evaluate("document.querySelector('.product img').naturalWidth > 0")
    assert image_loaded
    screenshot(phone_page, "product-phone")

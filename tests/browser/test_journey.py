"""The shopper's journey on a phone: product -> cart -> checkout -> payment -> tracking."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.browser.conftest import TEST_PHOTOS, LiveShop, screenshot
from vitrine.catalog.models import Product
from vitrine.showrooms.models import ShelfTag

pytestmark = pytest.mark.browser


def _shelf_tag_of(live_shop: LiveShop, product_name: str) -> str:
    with live_shop.installation.session_factory() as session:
        code = session.scalar(
            select(ShelfTag.code).join(Product, Product.id == ShelfTag.product_id)
            .where(Product.name == product_name)
        )  # fmt: skip
    assert code is not None
    return code


def _add_first_variant_to_cart(page: Page) -> None:
    page.get_by_test_id("add-to-cart").click()
    expect(page.get_by_test_id("cart-lines")).to_be_visible()
    expect(page.get_by_test_id("cart-link")).to_contain_text("1")


def _pay(page: Page, card: str) -> None:
    page.fill('input[name="card_number"]', card)
    page.fill('input[name="expiry"]', "12/30")
    page.fill('input[name="cvc"]', "123")
    page.get_by_test_id("pay").click()


def test_a_text_search_then_a_locker_order_paid_with_the_test_card(
    live_server: str, phone_page: Page
) -> None:
    phone_page.goto(live_server + "/s/les-halles")
    phone_page.fill('input[name="q"]', "oat milk")
    phone_page.keyboard.press("Enter")
    phone_page.get_by_text("Oatly Oat Milk").first.click()
    expect(phone_page.locator("h1")).to_have_text("Oatly Oat Milk")
    screenshot(phone_page, "journey-product")
    _add_first_variant_to_cart(phone_page)
    phone_page.get_by_test_id("go-checkout").click()
    phone_page.fill('input[name="email"]', "lea@example.fr")
    phone_page.get_by_test_id("locker-choice").check()
    phone_page.locator('input[name="locker_site_id"]').first.check()
    screenshot(phone_page, "journey-checkout")
    _pay(phone_page, "4242 4242 4242 4242")
    expect(phone_page).to_have_url(re.compile(r"/orders/[A-Za-z0-9_-]{32}$"))
    expect(phone_page.get_by_test_id("order-thanks")).to_be_visible()
    expect(phone_page.get_by_test_id("locker-status")).to_contain_text("Les Halles")
    expect(phone_page.get_by_test_id("messages")).to_contain_text("confirmed")
    screenshot(phone_page, "journey-tracking")


def test_a_qr_tag_to_a_home_delivery_after_a_declined_card(
    live_shop: LiveShop, phone_page: Page
) -> None:
    code = _shelf_tag_of(live_shop, "Granny Smith")
    phone_page.goto(f"{live_shop.url}/p/{code}")
    expect(phone_page.locator("h1")).to_have_text("Granny Smith")
    _add_first_variant_to_cart(phone_page)
    phone_page.get_by_test_id("go-checkout").click()
    phone_page.fill('input[name="email"]', "lea@example")  # the browser accepts it, we do not
    phone_page.fill('input[name="recipient_name"]', "Léa Martin")
    phone_page.fill('input[name="address_line"]', "12 rue Rambuteau")
    phone_page.fill('input[name="postcode"]', "75003")
    phone_page.fill('input[name="city"]', "Paris")
    _pay(phone_page, "4242 4242 4242 4242")
    expect(phone_page.get_by_test_id("problem-email")).to_be_visible()
    phone_page.fill('input[name="email"]', "lea@example.fr")
    _pay(phone_page, "4000 0000 0000 0002")
    expect(phone_page.get_by_test_id("checkout-message")).to_contain_text("declined")
    screenshot(phone_page, "journey-declined")
    expect(phone_page.get_by_test_id("cart-link")).to_contain_text("1")  # the cart survived
    _pay(phone_page, "4242 4242 4242 4242")
    expect(phone_page.get_by_test_id("order-thanks")).to_be_visible()
    expect(phone_page.get_by_text("12 rue Rambuteau")).to_be_visible()


def test_a_real_photo_of_a_displayed_product_leads_to_an_order(
    live_server: str, phone_page: Page
) -> None:
    phone_page.goto(live_server + "/s/les-halles")
    screenshot(phone_page, "journey-landing")
    phone_page.get_by_test_id("photo-input").set_input_files(
        str(TEST_PHOTOS / "banana-in-store.jpg")
    )
    best = phone_page.get_by_test_id("best-match")
    expect(best).to_contain_text("Banana", timeout=20_000)
    screenshot(phone_page, "journey-photo-match")
    best.get_by_role("link").click()
    expect(phone_page.locator("h1")).to_have_text("Banana")
    phone_page.locator('input[name="variant_id"]').nth(1).check()  # the 1 kg bag
    _add_first_variant_to_cart(phone_page)
    expect(phone_page.get_by_test_id("cart-lines")).to_contain_text("1 kg")
    phone_page.get_by_test_id("go-checkout").click()
    phone_page.fill('input[name="phone"]', "+33 6 12 34 56 78")
    phone_page.get_by_test_id("locker-choice").check()
    phone_page.locator('input[name="locker_site_id"]').nth(1).check()
    _pay(phone_page, "4242 4242 4242 4242")
    expect(phone_page.get_by_test_id("order-thanks")).to_be_visible()
    expect(phone_page.get_by_test_id("order-steps")).to_contain_text("Ready for pickup")

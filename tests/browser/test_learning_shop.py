"""A shop that learns from its shoppers: a shopper taps their product in the short list, the
operator accepts the photo in one tap, and the next photo search of that product finds it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import PHONE, TEST_PHOTOS, LiveShop, screenshot, serving
from vitrine.demo.loader import DEMO_OPERATOR_EMAIL, OPERATOR_LOGIN_FILE
from vitrine.search.pipeline import PipelineConfig
from vitrine.search.service import SearchEngine
from vitrine.web.app import create_app

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def unsure_shop(live_shop: LiveShop) -> Iterator[str]:
    """The demo shop served again by a cautious search: one product alone only when it is 95 %
    sure, else always "Could it be one of these?" (short-list threshold 0), so the test does not
    hang on the model's exact figures (the adapter's training views are seeded by picture ids,
    which every demo load draws anew: the untaught demo is 33-74 % sure of the photo below, and
    99.9 % once it is enrolled). Its engine loads the demo's saved index: nothing is embedded
    again."""
    installation = live_shop.installation
    engine = SearchEngine(
        index_dir=installation.settings.index_dir,
        media=installation.media,
        config=PipelineConfig(not_found_threshold=0.95, shortlist_threshold=0.0),
    )
    with serving(create_app(installation, search_engine=engine)) as url:
        yield url


@pytest.fixture
def unsure_photo(tmp_path: Path) -> Path:
    """A black-and-white photo of the banana: the untaught demo is not sure of it."""
    path = tmp_path / "banana-grey.jpg"
    Image.open(TEST_PHOTOS / "banana-in-store.jpg").convert("L").convert("RGB").save(path)
    return path


def _operator(browser: Browser, url: str, live_shop: LiveShop) -> Page:
    password = (live_shop.installation.settings.data_dir / OPERATOR_LOGIN_FILE).read_text().strip()
    page = browser.new_context(viewport=PHONE, is_mobile=True).new_page()
    page.goto(url + "/operator")
    page.fill('input[name="email"]', DEMO_OPERATOR_EMAIL)
    page.fill('input[name="password"]', password)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Vitrine Les Halles").click()
    return page


def test_a_shoppers_pick_accepted_by_the_operator_teaches_the_search(
    unsure_shop: str, live_shop: LiveShop, browser: Browser, phone_page: Page, unsure_photo: Path
) -> None:
    phone_page.goto(unsure_shop + "/s/les-halles")
    phone_page.get_by_test_id("photo-input").set_input_files(str(unsure_photo))
    shortlist = phone_page.get_by_test_id("shortlist")
    expect(shortlist).to_contain_text("Could it be one of these?", timeout=20_000)
    expect(phone_page.get_by_test_id("pick-hint")).to_be_visible()
    screenshot(phone_page, "learning-shortlist")
    phone_page.get_by_test_id("pick").filter(has_text="Banana").first.click()
    expect(phone_page.locator("h1")).to_have_text("Banana")

    operator = _operator(browser, unsure_shop, live_shop)
    operator.get_by_test_id("candidates-link").click()
    candidate = operator.get_by_test_id("candidates-of-product").filter(has_text="Banana")
    expect(candidate.get_by_test_id("candidate")).to_have_count(1)
    expect(candidate).to_contain_text("short list")
    screenshot(operator, "learning-candidates")
    candidate.get_by_test_id("accept").click()
    expect(operator.get_by_test_id("candidates-message")).to_have_text(
        "Accepted: the search uses this photo now."
    )
    expect(operator.get_by_test_id("no-candidates")).to_be_visible()
    operator.context.close()

    phone_page.goto(unsure_shop + "/s/les-halles")
    phone_page.get_by_test_id("photo-input").set_input_files(str(unsure_photo))
    best = phone_page.get_by_test_id("best-match")
    expect(best).to_contain_text("Banana", timeout=20_000)
    expect(phone_page).to_have_url(re.compile(r"/s/les-halles/match/"))
    screenshot(phone_page, "learning-found-after")

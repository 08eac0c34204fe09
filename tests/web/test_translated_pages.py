"""Every shopper page, the live pages and the locker kiosk, rendered in French and in Chinese:
no source (English) string that the catalogs translate is left on them, nor an English product
name the catalog has in that language."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.i18n.test_catalogs import po_catalog
from tests.web.conftest import csrf_of, first_variant
from tests.web.test_shop import _add, _checkout
from vitrine.catalog.models import Product
from vitrine.i18n.translator import translator
from vitrine.installation import Installation
from vitrine.live import service as live
from vitrine.lockers.models import LockerSite
from vitrine.showrooms.models import Showroom

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

LANGUAGES = {"fr": "fr-FR,fr;q=0.9", "zh": "zh-CN,zh;q=0.9"}


def _pattern(source: str) -> re.Pattern[str]:
    pieces = re.split(r"%\(\w+\)[sd]", source)
    body = r".+?".join(re.escape(piece) for piece in pieces)
    return re.compile(rf"(?<!\w){body}(?!\w)")


def _english_left(language: str) -> list[tuple[str, re.Pattern[str]]]:
    """Source strings whose translation differs from them (a brand name stays the same)."""
    found = []
    for message in po_catalog(language):
        if not message.id:
            continue
        sources = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for source in sources:
            if source not in strings and len(source) > 2:
                found.append((source, _pattern(source)))
    return found


def visible_text(page: str) -> list[str]:
    """The page's text nodes and the attribute texts a person sees or hears."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    attributes = re.findall(r'(?:placeholder|aria-label|alt|title)="([^"]*)"', body)
    nodes = re.split(r"<[^>]+>", body)
    texts = [html.unescape(text).strip() for text in [*nodes, *attributes]]
    return [text for text in texts if text]


def untranslated(page: str, language: str, product_names: list[str]) -> list[str]:
    texts = visible_text(page)
    left = []
    for source, pattern in _english_left(language):
        single_word = " " not in source
        for text in texts:
            if (text == source) if single_word else pattern.search(text):
                left.append(f"{source!r} in {text[:80]!r}")
    left += [name for name in product_names for text in texts if text == name]
    return left


def _translated_names(installation: Installation, language: str) -> list[str]:
    """English names, descriptions and categories of the products the catalog has in
    `language` (those must not show)."""
    with installation.session_factory() as session:
        english = []
        for product in session.scalars(select(Product)).all():
            for text in product.texts:
                if text.language != language:
                    continue
                pairs = [
                    (product.name, text.name),
                    (product.description, text.description),
                    (product.category, text.category),
                ]
                english += [source for source, shown in pairs if shown and shown != source]
        return english


def _live_session(installation: Installation, product_id: str) -> str:
    with installation.session_factory() as session, session.begin():
        showroom = session.scalars(select(Showroom).where(Showroom.slug == "les-halles")).one()
        session_live = live.create_session(
            db_session=session,
            showroom_id=showroom.id,
            title="Les Halles",
            scheduled_at=datetime.now(UTC) + timedelta(hours=1),
            playback_url="",
        )
        live.start_session(db_session=session, live=session_live)
        live.pin_product(db_session=session, live=session_live, product_id=product_id)
        return session_live.id


def _pages(client: TestClient, installation: Installation) -> dict[str, str]:
    """Path -> page, walking a shopper's way through the shop (a home and a locker order)."""
    product_id, variant_id = first_variant(client, "Granny Smith")
    with installation.session_factory() as session:
        site = session.scalars(select(LockerSite)).first()
        assert site is not None
        site_id = site.id
    pages = {}
    for path in ("/s/les-halles", "/s/les-halles/find?q=apple", "/s/les-halles/find?q=bicycle",
                 f"/products/{product_id}", "/cart", "/account", "/no/such/page"):  # fmt: skip
        pages[path] = client.get(path).text
    _add(client, variant_id, 2)
    pages["/cart (with a line)"] = client.get("/cart").text
    pages["/checkout"] = client.get("/checkout").text
    pages["/checkout (declined)"] = _checkout(client, card_number="4000 0000 0000 0002").text
    pages["/checkout (invalid)"] = _checkout(client, email="lea@", postcode="123").text
    home_order = _checkout(client).headers["location"]
    pages["/orders/... (home)"] = client.get(home_order).text
    _add(client, variant_id, 1)
    locker_order = _checkout(client, delivery_method="locker", locker_site_id=site_id)
    pages["/orders/... (locker)"] = client.get(locker_order.headers["location"]).text
    live_id = _live_session(installation, product_id)
    pages["/live"] = client.get("/live").text
    pages[f"/live/{live_id}"] = client.get(f"/live/{live_id}").text
    pages[f"/locker/{site_id}"] = client.get(f"/locker/{site_id}").text
    wrong = {"code": "1234567890", "csrf_token": csrf_of(client, f"/locker/{site_id}")}
    pages["/locker (wrong code)"] = client.post(f"/locker/{site_id}", data=wrong).text
    return pages


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_every_shopper_page_is_in_the_shoppers_language(
    client: TestClient, demo_installation: Installation, language: str
) -> None:
    client.headers["accept-language"] = LANGUAGES[language]
    client.headers["accept"] = "text/html"
    names = _translated_names(demo_installation, language)
    pages = _pages(client, demo_installation)
    left = {path: untranslated(page, language, names) for path, page in pages.items()}
    assert {path: found for path, found in left.items() if found} == {}
    for path, page in pages.items():
        assert f'<html lang="{language}">' in page, path
    declined = {"fr": "La carte a été refusée.", "zh": "银行卡被拒绝。"}[language]
    assert declined in pages["/checkout (declined)"]  # the gateway's reason too


def test_the_check_finds_english_when_there_is_some(client: TestClient) -> None:
    page = client.get("/s/les-halles", headers={"accept-language": "en"}).text
    assert any("Take a photo" in found for found in untranslated(page, "fr", []))


def test_prices_follow_the_language(client: TestClient) -> None:
    product_id, _ = first_variant(client, "Granny Smith")
    french = client.get(f"/products/{product_id}", headers={"accept-language": "fr"}).text
    assert "1,99\xa0€" in french
    assert translator("fr").price(199, "EUR") in french


def test_cart_refusals_are_in_the_shoppers_language(client: TestClient) -> None:
    _, variant_id = first_variant(client, "Granny Smith")
    client.headers["accept-language"] = "fr-FR,fr;q=0.9"
    refused = _add(client, variant_id, 999)
    assert refused.status_code == 409  # type: ignore[attr-defined]
    assert "au plus" in refused.text and "of one item" not in refused.text  # type: ignore[attr-defined]

"""Shopper pages: landing, text search, QR tags, product, cart and checkout, in three languages."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import event, select

from tests.web.conftest import csrf_of, first_variant
from vitrine.analytics.models import ShopperEvent
from vitrine.catalog.models import Product
from vitrine.installation import Installation
from vitrine.showrooms.models import ShelfTag

CHECKOUT = {
    "email": "lea@example.fr",
    "phone": "",
    "delivery_method": "home",
    "recipient_name": "Léa",
    "address_line": "12 rue Rambuteau",
    "postcode": "75003",
    "city": "Paris",
    "card_number": "4242 4242 4242 4242",
    "expiry": "12/30",
    "cvc": "123",
}


def _add(client: TestClient, variant_id: str, quantity: int = 1) -> object:
    data = {
        "variant_id": variant_id,
        "quantity": str(quantity),
        "csrf_token": csrf_of(client, "/cart"),
    }
    return client.post("/cart/lines", data=data, follow_redirects=False)


def _checkout(client: TestClient, **changes: str) -> object:
    page = client.get("/checkout").text
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page)
    assert key is not None
    data = {
        **CHECKOUT,
        "idempotency_key": key.group(1),
        "csrf_token": csrf_of(client, "/cart"),
        **changes,
    }
    return client.post("/checkout", data=data, follow_redirects=False)


def test_the_landing_page_offers_a_camera_and_a_search(client: TestClient) -> None:
    page = client.get("/s/les-halles").text
    assert 'capture="environment"' in page
    assert 'accept="image/*"' in page
    assert 'action="/s/les-halles/find"' in page


def test_text_search_finds_displayed_products(client: TestClient) -> None:
    page = client.get("/s/les-halles/find", params={"q": "oat milk"}).text
    assert "Oatly Oat Milk" in page
    assert "Granny Smith" not in page
    nothing = client.get("/s/les-halles/find", params={"q": "bicycle"}).text
    assert (
        "Nothing matches &#34;bicycle&#34;" in nothing
        or "Nothing matches &quot;bicycle&quot;" in nothing
    )


def test_pages_follow_the_shoppers_language(client: TestClient) -> None:
    assert (
        "Prendre une photo"
        in client.get("/s/les-halles", headers={"accept-language": "fr-FR,fr;q=0.9"}).text
    )
    assert "拍照识别" in client.get("/s/les-halles", headers={"accept-language": "zh-CN"}).text
    data = {"language": "fr", "back": "/s/les-halles", "csrf_token": csrf_of(client, "/cart")}
    client.post("/preferences", data=data)
    assert "Prendre une photo" in client.get("/s/les-halles").text


def test_prices_show_in_the_display_currency_too(client: TestClient) -> None:
    product_id, _ = first_variant(client, "Granny Smith")
    data = {"currency": "CNY", "back": "/", "csrf_token": csrf_of(client, "/cart")}
    client.post("/preferences", data=data)
    page = client.get(f"/products/{product_id}").text
    assert "€1.99" in page
    assert "≈ CN¥15.52" in page  # 1.99 EUR at 7.80, written the English way
    assert "≈ CN¥15.52" in client.get("/s/les-halles").text  # the landing's cards too
    _add(client, first_variant(client, "Granny Smith")[1], 2)
    assert "≈ CN¥31.04" in client.get("/cart").text  # cart lines and total
    assert "≈ CN¥31.04" in client.get("/checkout").text
    chinese = client.get("/checkout", headers={"accept-language": "zh"}).text
    assert "≈ ¥31.04" in chinese  # the Chinese way


def test_a_shelf_tag_opens_its_product_and_counts_the_scan(
    client: TestClient, demo_installation: Installation
) -> None:
    with demo_installation.session_factory() as session:
        tag = session.scalars(select(ShelfTag)).first()
        assert tag is not None
        code, product_id = tag.code, tag.product_id
    response = client.get(f"/p/{code}", follow_redirects=False)
    assert response.headers["location"] == f"/products/{product_id}?via=qr"
    assert client.get("/p/NOSUCHCODE").status_code == 404
    assert client.app.state.event_recorder.flush()  # type: ignore[attr-defined]
    with demo_installation.session_factory() as session:
        scans = session.scalars(select(ShopperEvent).where(ShopperEvent.kind == "qr_scan")).all()
    assert [(s.product_id, s.source) for s in scans] == [(product_id, "qr")]


def test_product_names_with_html_are_escaped(
    client: TestClient, demo_installation: Installation
) -> None:
    with demo_installation.session_factory() as session, session.begin():
        product = session.scalars(select(Product).where(Product.name == "Granny Smith")).one()
        product.name = "<script>alert(1)</script> Granny"
    product_id, variant_id = first_variant(client, "<script>alert(1)</script> Granny")
    _add(client, variant_id)
    for path in (f"/products/{product_id}", "/cart", "/s/les-halles"):
        page = client.get(path).text
        assert "<script>alert(1)</script>" not in page, path
        assert "&lt;script&gt;" in page, path


def test_bad_cart_changes_get_clear_messages(client: TestClient) -> None:
    _, variant_id = first_variant(client, "Granny Smith")
    for quantity, message in [(0, "at least 1"), (-3, "at least 1"), (26, "at most 20")]:
        response = _add(client, variant_id, quantity)
        assert (response.status_code, message in response.text) == (409, True)
    unknown = _add(client, "no-such-variant")
    assert (unknown.status_code, "does not exist" in unknown.text) == (409, True)
    forged = client.post("/cart/lines", data={"variant_id": variant_id, "csrf_token": "x"})
    assert forged.status_code == 403


def test_quantity_beyond_stock_is_refused(
    client: TestClient, demo_installation: Installation
) -> None:
    _, variant_id = first_variant(client, "Granny Smith")
    with demo_installation.session_factory() as session, session.begin():
        from vitrine.catalog import stock_service

        stock_service.set_stock(
            db_session=session, variant_id=variant_id, warehouse_code="WH-PARIS", on_hand=2
        )
    response = _add(client, variant_id, 3)
    assert (response.status_code, "only 2 left in stock" in response.text) == (409, True)


def test_checkout_declined_keeps_the_cart_then_pays_once(client: TestClient) -> None:
    _, variant_id = first_variant(client, "Granny Smith")
    assert _add(client, variant_id).status_code == 303
    assert client.get("/checkout").status_code == 200
    invalid = _checkout(client, email="lea@", postcode="123")
    assert invalid.status_code == 400
    assert 'data-testid="problem-email"' in invalid.text
    assert 'data-testid="problem-postcode"' in invalid.text
    declined = _checkout(client, card_number="4000 0000 0000 9995")
    assert declined.status_code == 402
    assert "insufficient funds" in declined.text
    assert "Granny Smith" in client.get("/cart").text
    paid = _checkout(client)
    assert paid.status_code == 303
    tracking = client.get(paid.headers["location"]).text
    assert "Your order is confirmed" in tracking
    assert "12 rue Rambuteau" in tracking
    assert "Your cart is empty" in client.get("/cart").text


def test_the_same_checkout_form_posted_twice_gives_one_order(client: TestClient) -> None:
    _, variant_id = first_variant(client, "Granny Smith")
    _add(client, variant_id)
    page = client.get("/checkout").text
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page)
    assert key is not None
    data = {**CHECKOUT, "idempotency_key": key.group(1), "csrf_token": csrf_of(client, "/cart")}
    first = client.post("/checkout", data=data, follow_redirects=False)
    second = client.post("/checkout", data=data, follow_redirects=False)
    assert first.headers["location"] == second.headers["location"]


def test_an_empty_cart_cannot_reach_checkout(client: TestClient) -> None:
    assert client.get("/checkout", follow_redirects=False).headers["location"] == "/cart"


def test_unknown_tracking_links_are_404(client: TestClient) -> None:
    assert client.get("/orders/not-a-real-token").status_code == 404


def test_product_names_follow_the_shoppers_language(client: TestClient) -> None:
    product_id, _ = first_variant(client, "Banana")
    assert (
        "<h1>Banane</h1>"
        in client.get(f"/products/{product_id}", headers={"accept-language": "fr"}).text
    )
    assert (
        "<h1>香蕉</h1>"
        in client.get(f"/products/{product_id}", headers={"accept-language": "zh"}).text
    )
    assert "<h1>Banana</h1>" in client.get(f"/products/{product_id}").text


def test_text_search_is_limited_per_address_across_cookie_jars(client: TestClient) -> None:
    statuses = [
        TestClient(client.app).get("/s/les-halles/find", params={"q": "apple"}).status_code
        for _ in range(92)
    ]
    assert statuses[:90] == [200] * 90 and statuses[90:] == [429, 429]
    browser = TestClient(client.app, client=("198.51.100.30", 5000))
    answers = [browser.get("/s/les-halles/find", params={"q": "kiwi"}) for _ in range(31)]
    assert [a.status_code for a in answers[29:]] == [200, 429]  # 30 per browser per minute
    assert int(answers[-1].headers["retry-after"]) > 0


def test_the_landing_page_costs_a_few_queries_whatever_the_number_of_products(
    client: TestClient, demo_installation: Installation
) -> None:
    # The demo shows 81 products. Loading each card's variants, images and translations one
    # product at a time cost 246 queries per landing: 2.4 s (p50) at 16 shoppers on SQLite.
    client.get("/s/les-halles")  # the visitor and cart cookies exist from here on
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(demo_installation.engine, "before_cursor_execute", count)
    try:
        page = client.get("/s/les-halles", headers={"accept-language": "fr"})
        found = client.get("/s/les-halles/find", params={"q": "lait"})
    finally:
        event.remove(demo_installation.engine, "before_cursor_execute", count)
    assert page.status_code == found.status_code == 200
    assert page.text.count('<li class="card">') == 81
    assert len(statements) <= 16, statements

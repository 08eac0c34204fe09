"""Shopper pages render the demo showroom; unknown pages are friendly 404s."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_home_goes_to_the_only_showroom(client: TestClient) -> None:
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 302
    assert response.headers["location"] == "/s/les-halles"


def test_the_showroom_page_shows_the_demo_catalog(client: TestClient) -> None:
    page = client.get("/s/les-halles").text
    assert page.count('class="card"') == 81
    assert "Granny Smith" in page
    assert 'name="viewport"' in page


def test_the_product_page_shows_variants_and_prices(client: TestClient) -> None:
    item = client.get("/api/v1/products", params={"limit": 1}).json()["items"][0]
    page = client.get(f"/products/{item['id']}").text
    assert item["name"] in page
    for variant in item["variants"]:
        assert variant["price_display"] in page


def test_unknown_pages_are_friendly_404s(client: TestClient) -> None:
    response = client.get("/s/nowhere", headers={"accept": "text/html"})
    assert response.status_code == 404
    assert "This showroom does not exist." in response.text
    assert "Back to the showroom" in response.text

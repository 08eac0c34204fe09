"""Shopper pages render the demo showroom; unknown pages are friendly 404s."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from vitrine.installation import Installation


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


def test_every_response_carries_the_security_headers(client: TestClient) -> None:
    for path in ("/", "/s/les-halles", "/operator/login", "/api/v1/health", "/static/style.css"):
        headers = client.get(path).headers
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp, path
        assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "strict-origin-when-cross-origin"
        assert "strict-transport-security" not in headers  # plain http here
    assert client.get("/nope").headers["x-frame-options"] == "DENY"


def test_no_template_carries_an_inline_script() -> None:
    from pathlib import Path

    import vitrine.web

    templates = Path(vitrine.web.__file__).parent / "templates"
    for template in templates.glob("*.html"):
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), template.name
        assert not re.search(r"\son[a-z]+=", text), template.name


def test_over_https_cookies_are_secure_and_hsts_is_sent(demo_installation: Installation) -> None:
    from vitrine.web.app import create_app

    demo_installation.settings = demo_installation.settings.model_copy(
        update={"public_url": "https://shop.example.com"}
    )
    with TestClient(create_app(demo_installation), base_url="https://shop.example.com") as https:
        response = https.get("/s/les-halles")
        assert response.headers["strict-transport-security"].startswith("max-age=31536000")
        cookies = response.headers.get_list("set-cookie")
        assert cookies and all("Secure" in cookie for cookie in cookies)

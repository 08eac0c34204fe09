"""The JSON API under /api/v1 serves the catalog and is documented in OpenAPI."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient


def test_health_counts_the_catalog(client: TestClient) -> None:
    assert client.get("/api/v1/health").json() == {
        "status": "ok",
        "products": 81,
        "version": "0.1.0",
    }


def test_products_are_paged_with_prices_in_minor_units(client: TestClient) -> None:
    page = client.get("/api/v1/products", params={"limit": 5, "offset": 2}).json()
    assert (page["total"], page["limit"], page["offset"], len(page["items"])) == (81, 5, 2, 5)
    variant = page["items"][0]["variants"][0]
    assert isinstance(variant["price_minor"], int)
    assert variant["currency"] == "EUR"


def test_a_product_is_read_by_its_opaque_id(client: TestClient) -> None:
    item = client.get("/api/v1/products", params={"limit": 1}).json()["items"][0]
    assert len(item["id"]) == 32
    product = client.get(f"/api/v1/products/{item['id']}").json()
    assert product["sku"] == item["sku"]
    image = client.get(product["image_urls"][0])
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/jpeg"


def test_unknown_ids_and_bad_paging_are_clear_errors(client: TestClient) -> None:
    assert client.get("/api/v1/products/1").status_code == 404
    assert client.get("/api/v1/products/1").json() == {"detail": "no product 1"}
    assert client.get("/api/v1/products", params={"limit": 0}).status_code == 422
    assert client.get("/api/v1/showrooms/nowhere").status_code == 404
    assert client.get("/media/../vitrine.db").status_code == 404
    assert client.get("/media/ab/absent.jpg").status_code == 404


def test_the_showroom_lists_what_it_displays(client: TestClient) -> None:
    showroom = client.get("/api/v1/showrooms/les-halles").json()
    assert showroom["name"] == "Vitrine Les Halles"
    assert len(showroom["products"]) == 81


def test_openapi_documents_the_api(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    assert {"/api/v1/products", "/api/v1/products/{product_id}", "/api/v1/health"} <= set(
        spec["paths"]
    )
    assert client.get("/docs").status_code == 200


def test_the_api_docs_work_offline(client: TestClient) -> None:
    """/docs loads Swagger UI from the package, never from a CDN, and runs no inline script."""
    page = client.get("/docs").text
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert assets and all(asset.startswith("/static/") for asset in assets)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)  # every script is a file
    for asset in assets:
        served = client.get(asset)
        assert served.status_code == 200, asset
    bundle = client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js")
    assert len(bundle.content) > 1_000_000  # the real bundle, not a stub
    assert client.get("/static/vendor/swagger-ui/LICENSE").status_code == 200
    assert 'data-openapi="/api/v1/openapi.json"' in page


def test_the_openapi_document_is_also_at_the_root(client: TestClient) -> None:
    root = client.get("/openapi.json")
    assert root.status_code == 200
    assert root.json() == client.get("/api/v1/openapi.json").json()


def test_the_openapi_document_states_refusals_and_credentials(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    problem = {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    assert paths["/api/v1/carts/{cart_id}"]["get"]["responses"]["404"]["content"] == problem
    pins = paths["/api/v1/live/{session_id}/pins"]["post"]
    assert pins["security"] == [{"OperatorSession": [], "CsrfToken": []}]
    assert {"400", "401", "403", "404", "409", "422"} <= set(pins["responses"])
    deposit = paths["/api/v1/lockers/deposits"]["post"]
    assert deposit["security"] == [{"CourierToken": []}]
    with_body = [
        operation
        for methods in paths.values()
        for operation in methods.values()
        if "requestBody" in operation
    ]
    assert with_body and all("400" in operation["responses"] for operation in with_body)


def test_uploads_and_compartment_sizes_follow_the_settings(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    image = schemas["Body_search_api_v1_search_post"]["properties"]["image"]
    assert (image["minLength"], image["maxLength"]) == (1, 20 * 1024 * 1024)
    size = schemas["DepositRequest"]["properties"]["size"]["anyOf"][0]
    assert size["enum"] == ["S", "M", "L"]


def test_a_refused_method_names_every_method_of_its_path(client: TestClient) -> None:
    """Two routes share the path of a cart line (PUT, DELETE): Starlette named only the first."""
    refused = client.request("OPTIONS", "/api/v1/carts/x/items/y")
    assert (refused.status_code, refused.headers["allow"]) == (405, "DELETE, PUT")

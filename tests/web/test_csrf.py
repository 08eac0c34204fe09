"""No state-changing route acts on a signed-in browser's cookies without a CSRF token.

Walks every route of the app (pages and API, in or out of the OpenAPI document) and posts to
it as a signed-in admin, with every form field filled but no token: each must answer 403
before doing anything. The few routes that take no authority from cookies are listed with why.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from fastapi import params
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
NO_COOKIE_AUTHORITY = {
    ("POST", "/api/v1/lockers/deposits"): "a courier's bearer token, not a cookie",
    ("POST", "/api/v1/lockers/sites/{site_id}/returns"): "a courier's bearer token",
    ("POST", "/api/v1/lockers/sites/{site_id}/pickup"): "the code or QR token is the authority",
    ("POST", "/api/v1/carts"): "creates an anonymous cart; nothing of the caller's changes",
    ("PUT", "/api/v1/carts/{cart_id}/items/{variant_id}"): "the cart id in the URL (122 bits)",
    ("DELETE", "/api/v1/carts/{cart_id}/items/{variant_id}"): "the cart id in the URL",
    ("POST", "/api/v1/checkout"): "the cart id and idempotency key in the body, no cookie",
    ("POST", "/api/v1/search"): "answers a photo; records only an analytics event",
}


def _routes(routes: list[object], prefix: str = "") -> Iterator[tuple[str, APIRoute]]:
    for route in routes:
        context = getattr(route, "include_context", None)
        if context is not None:
            yield from _routes(context.included_router.routes, prefix + context.prefix)
        elif isinstance(route, APIRoute):
            yield prefix + route.path, route


def _request_parts(route: APIRoute) -> dict[str, object]:
    """Every body field filled with a harmless value, no CSRF token anywhere."""
    data: dict[str, str] = {}
    files: list[tuple[str, tuple[str, bytes, str]]] = []
    for field in route.dependant.body_params:
        if field.alias == "csrf_token":
            continue
        if isinstance(field.field_info, params.File):
            files.append((field.alias, ("x.jpg", b"\xff\xd8\xff", "image/jpeg")))
        elif isinstance(field.field_info, params.Form):
            data[field.alias] = "1"
        else:
            return {"json": {}}
    return {"data": data, "files": files or None}


def test_every_state_changing_route_refuses_a_request_without_its_token(
    admin_client: TestClient,
) -> None:
    checked = []
    for path, route in _routes(admin_client.app.routes):  # type: ignore[attr-defined]
        for method in sorted(route.methods & UNSAFE):
            if (method, path) in NO_COOKIE_AUTHORITY:
                continue
            url = re.sub(r"\{[^}]+\}", "x" * 32, path)
            response = admin_client.request(
                method, url, follow_redirects=False, **_request_parts(route)
            )
            assert response.status_code == 403, (method, path, response.status_code)
            assert "forged" in response.text, (method, path)
            checked.append((method, path))
    assert ("POST", "/api/v1/live/{session_id}/pins") in checked
    assert len(checked) >= 35


def test_the_exemptions_name_real_routes(admin_client: TestClient) -> None:
    routes = {
        (method, path)
        for path, route in _routes(admin_client.app.routes)  # type: ignore[attr-defined]
        for method in route.methods
    }
    assert set(NO_COOKIE_AUTHORITY) <= routes

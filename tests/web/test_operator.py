"""Operator pages: nothing opens without login; login needs the right password and a CSRF token."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from vitrine.demo.loader import DEMO_OPERATOR_EMAIL, OPERATOR_LOGIN_FILE
from vitrine.installation import Installation
from vitrine.web.pages.operator import login_failures_per_client

OPEN_OPERATOR_PATHS = {"/operator/login"}


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    login_failures_per_client._events.clear()


def _csrf(client: TestClient, path: str = "/operator/login") -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert match is not None
    return match.group(1)


def _password(installation: Installation) -> str:
    return (installation.settings.data_dir / OPERATOR_LOGIN_FILE).read_text().strip()


def _log_in(client: TestClient, password: str, csrf: str | None = None) -> object:
    form = {"email": DEMO_OPERATOR_EMAIL, "password": password, "next": "/operator"}
    form["csrf_token"] = _csrf(client) if csrf is None else csrf
    return client.post("/operator/login", data=form, follow_redirects=False)


def _routes(routes: list[object]) -> Iterator[tuple[str, set[str]]]:
    """(path, methods) of every route, through FastAPI's wrappers of included routers."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _routes(included.routes)
        elif hasattr(route, "methods"):
            yield route.path, set(route.methods or [])  # type: ignore[attr-defined]


def test_every_operator_route_needs_a_login(client: TestClient) -> None:
    checked = 0
    for path, methods in _routes(client.app.routes):  # type: ignore[attr-defined]
        if not path.startswith("/operator") or path in OPEN_OPERATOR_PATHS:
            continue
        for method in methods:
            response = client.request(method, path, follow_redirects=False)
            assert response.status_code == 303, (method, path)
            assert response.headers["location"].startswith("/operator/login?next=")
            checked += 1
    assert checked >= 2


def test_the_right_password_opens_the_console(
    client: TestClient, demo_installation: Installation
) -> None:
    response = _log_in(client, _password(demo_installation))
    assert (response.status_code, response.headers["location"]) == (303, "/operator")
    page = client.get("/operator")
    assert page.status_code == 200
    assert "Vitrine Les Halles" in page.text


def test_a_wrong_password_is_refused(client: TestClient) -> None:
    response = _log_in(client, "not-the-password")
    assert response.status_code == 401
    assert "wrong email or password" in response.text
    assert client.get("/operator", follow_redirects=False).status_code == 303


def test_a_forged_csrf_token_is_refused(
    client: TestClient, demo_installation: Installation
) -> None:
    response = _log_in(client, _password(demo_installation), csrf="forged")
    assert response.status_code == 403
    assert client.get("/operator", follow_redirects=False).status_code == 303


def test_a_forged_or_expired_session_cookie_is_refused(client: TestClient) -> None:
    client.cookies.set("vitrine_operator", "eyJhIjoiMSJ9.forged.signature")
    assert client.get("/operator", follow_redirects=False).status_code == 303


def test_logout_ends_the_session(client: TestClient, demo_installation: Installation) -> None:
    _log_in(client, _password(demo_installation))
    csrf = _csrf(client, "/operator")
    response = client.post("/operator/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 303
    assert client.get("/operator", follow_redirects=False).status_code == 303


def test_repeated_failures_from_one_client_are_slowed_down(client: TestClient) -> None:
    for _ in range(10):
        _log_in(client, "wrong")
    response = _log_in(client, "wrong")
    assert response.status_code == 429
    assert "too many failed logins" in response.text


def test_login_never_redirects_off_site(
    client: TestClient, demo_installation: Installation
) -> None:
    form = {
        "email": DEMO_OPERATOR_EMAIL,
        "password": _password(demo_installation),
        "next": "//evil.example/operator",
        "csrf_token": _csrf(client),
    }
    response = client.post("/operator/login", data=form, follow_redirects=False)
    assert response.headers["location"] == "/operator"

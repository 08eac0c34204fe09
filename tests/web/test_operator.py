"""Operator pages: nothing opens without login; login needs the right password and a CSRF token."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import timedelta

from fastapi.testclient import TestClient

from vitrine.accounts import lockout
from vitrine.demo.loader import DEMO_OPERATOR_EMAIL, OPERATOR_LOGIN_FILE
from vitrine.installation import Installation

OPEN_OPERATOR_PATHS = {"/operator/login"}


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


def test_a_pair_is_slowed_then_answered_at_once_past_the_cap(client: TestClient) -> None:
    shared = client.app.state.counters  # type: ignore[attr-defined]
    for _ in range(lockout.FREE_ATTEMPTS):
        shared.take(lockout.PAIR, DEMO_OPERATOR_EMAIL, "address:testclient")
    started = time.monotonic()
    assert _log_in(client, "wrong").status_code == 401  # type: ignore[attr-defined]
    assert time.monotonic() - started >= 1.0  # the 4th attempt waits 1 s
    for _ in range(lockout.PAIR.amount - lockout.FREE_ATTEMPTS - 1):
        shared.take(lockout.PAIR, DEMO_OPERATOR_EMAIL, "address:testclient")
    started = time.monotonic()
    refused = _log_in(client, "wrong")
    assert refused.status_code == 429  # type: ignore[attr-defined]
    assert 800 < int(refused.headers["retry-after"]) <= 900  # type: ignore[attr-defined]
    assert time.monotonic() - started < 1.0  # past the cap: at once, no wait


def test_one_address_cannot_keep_the_owner_out(
    client: TestClient, demo_installation: Installation
) -> None:
    """The issue's attack: 5 wrong passwords from anywhere locked the account for 15 min."""
    attacker = TestClient(client.app, client=("203.0.113.9", 40000))
    statuses = [_log_in(attacker, "wrong").status_code for _ in range(3)]  # type: ignore[attr-defined]
    statuses += [_log_in(attacker, "wrong").status_code for _ in range(2)]  # type: ignore[attr-defined]
    assert statuses == [401] * 5
    owner = TestClient(client.app, client=("198.51.100.7", 40000))
    started = time.monotonic()
    assert _log_in(owner, _password(demo_installation)).status_code == 303  # type: ignore[attr-defined]
    assert time.monotonic() - started < 1.0  # the owner did not wait for the attacker's failures


def test_many_addresses_cannot_keep_the_owner_out_of_a_known_browser(
    client: TestClient, demo_installation: Installation
) -> None:
    owner = TestClient(client.app, client=("198.51.100.7", 40000))
    assert _log_in(owner, _password(demo_installation)).status_code == 303  # type: ignore[attr-defined]
    owner.post("/operator/logout", data={"csrf_token": _csrf(owner, "/operator")})
    shared = client.app.state.counters  # type: ignore[attr-defined]
    for n in range(lockout.UNKNOWN_CLIENTS.amount):  # a botnet's 30 tries, 1 per address
        shared.take(lockout.PAIR, DEMO_OPERATOR_EMAIL, f"address:10.0.{n}.1")
        shared.take(lockout.UNKNOWN_CLIENTS, DEMO_OPERATOR_EMAIL)
    bot = TestClient(client.app, client=("10.0.200.1", 40000))
    assert _log_in(bot, "guess").status_code == 429  # type: ignore[attr-defined]
    stranger = TestClient(client.app, client=("198.51.100.8", 40000))
    refused = _log_in(stranger, _password(demo_installation))
    assert refused.status_code == 429  # type: ignore[attr-defined]
    assert "from a browser you signed in with before" in refused.text  # type: ignore[attr-defined]
    started = time.monotonic()
    assert _log_in(owner, _password(demo_installation)).status_code == 303  # type: ignore[attr-defined]
    assert time.monotonic() - started < 1.0
    assert owner.get("/operator", follow_redirects=False).status_code == 200


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


def _signed_in(client: TestClient, installation: Installation, address: str) -> TestClient:
    browser = TestClient(client.app, client=(address, 40000))
    assert _log_in(browser, _password(installation)).status_code == 303  # type: ignore[attr-defined]
    return browser


def _replay(client: TestClient, cookie: str) -> int:
    """Open the console with a copied session cookie, from a browser of its own."""
    thief = TestClient(client.app)
    thief.cookies.set("vitrine_operator", cookie)
    return thief.get("/operator", follow_redirects=False).status_code


def test_a_logged_out_cookie_opens_nothing_when_replayed(
    client: TestClient, demo_installation: Installation
) -> None:
    browser = _signed_in(client, demo_installation, "198.51.100.1")
    cookie = browser.cookies["vitrine_operator"]
    assert _replay(client, cookie) == 200
    browser.post("/operator/logout", data={"csrf_token": _csrf(browser, "/operator")})
    assert _replay(client, cookie) == 303


def test_a_password_change_ends_every_session_of_the_account(
    client: TestClient, demo_installation: Installation
) -> None:
    laptop = _signed_in(client, demo_installation, "198.51.100.1")
    phone = _signed_in(client, demo_installation, "198.51.100.2")
    form = {
        "current": "wrong",
        "new": "a-brand-new-password",
        "csrf_token": _csrf(laptop, "/operator"),
    }
    assert laptop.post("/operator/password", data=form).status_code == 400
    assert laptop.get("/operator", follow_redirects=False).status_code == 200
    form["current"] = _password(demo_installation)
    assert laptop.post("/operator/password", data=form, follow_redirects=False).status_code == 303
    for browser in (laptop, phone):
        assert browser.get("/operator", follow_redirects=False).status_code == 303
    again = TestClient(client.app, client=("198.51.100.1", 40000))
    form = {"email": DEMO_OPERATOR_EMAIL, "password": "a-brand-new-password", "next": "/operator"}
    form["csrf_token"] = _csrf(again)
    assert again.post("/operator/login", data=form, follow_redirects=False).status_code == 303


def test_an_admin_lists_sessions_and_signs_an_account_out_everywhere(
    client: TestClient, demo_installation: Installation
) -> None:
    from vitrine.accounts.service import create_operator

    with demo_installation.session_factory() as session, session.begin():
        staff_id = create_operator(
            db_session=session, email="sam@shop.fr", password="sams-password-1"
        ).id
    staff = TestClient(client.app, client=("198.51.100.9", 40000))
    form = {"email": "sam@shop.fr", "password": "sams-password-1", "next": "/operator"}
    form["csrf_token"] = _csrf(staff)
    assert staff.post("/operator/login", data=form, follow_redirects=False).status_code == 303
    assert "Open sessions" not in staff.get("/operator/account").text  # staff see only theirs
    admin = _signed_in(client, demo_installation, "198.51.100.1")
    listing = admin.get("/operator/account").text
    assert "sam@shop.fr" in listing and "198.51.100.9" in listing and "(this one)" in listing
    csrf = _csrf(admin, "/operator/account")
    refused = staff.post(
        f"/operator/accounts/{staff_id}/sign-out-everywhere",
        data={"csrf_token": _csrf(staff, "/operator/account")},
    )
    assert refused.status_code == 403  # staff cannot
    ended = admin.post(
        f"/operator/accounts/{staff_id}/sign-out-everywhere", data={"csrf_token": csrf}
    )
    assert ended.status_code == 200 and "sam@shop.fr" not in ended.text
    assert staff.get("/operator", follow_redirects=False).status_code == 303
    assert admin.get("/operator", follow_redirects=False).status_code == 200


def test_an_idle_session_ends(client: TestClient, demo_installation: Installation) -> None:
    from sqlalchemy import update

    from vitrine.accounts.models import OperatorSessionRecord
    from vitrine.db import utc_now

    browser = _signed_in(client, demo_installation, "198.51.100.1")
    assert browser.get("/operator", follow_redirects=False).status_code == 200
    idle = timedelta(minutes=demo_installation.settings.operator_idle_minutes, seconds=1)
    with demo_installation.session_factory() as session, session.begin():
        session.execute(update(OperatorSessionRecord).values(last_seen_at=utc_now() - idle))
    assert browser.get("/operator", follow_redirects=False).status_code == 303

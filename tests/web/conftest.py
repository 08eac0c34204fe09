"""A test client over an installation with the demo showroom loaded."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from vitrine.demo.loader import load_demo, load_demo_lockers
from vitrine.installation import Installation
from vitrine.web.app import create_app


@pytest.fixture
def demo_installation(installation: Installation) -> Installation:
    with installation.session_factory() as session, session.begin():
        load_demo(
            db_session=session,
            media=installation.media,
            data_dir=installation.settings.data_dir,
            currency="EUR",
        )
    load_demo_lockers(session_factory=installation.session_factory)
    return installation


@pytest.fixture
def client(demo_installation: Installation) -> Iterator[TestClient]:
    with TestClient(create_app(demo_installation)) as test_client:
        yield test_client


def csrf_of(client: TestClient, path: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert match is not None, path
    return match.group(1)


def first_variant(client: TestClient, name: str) -> tuple[str, str]:
    """(product id, first variant id) of a demo product, through the public API."""
    products = client.get("/api/v1/products", params={"limit": 500}).json()["items"]
    product = next(p for p in products if p["name"] == name)
    return product["id"], product["variants"][0]["id"]


def log_in(client: TestClient, email: str, password: str) -> None:
    form = {
        "email": email,
        "password": password,
        "next": "/operator",
        "csrf_token": csrf_of(client, "/operator/login"),
    }
    response = client.post("/operator/login", data=form, follow_redirects=False)
    assert response.status_code == 303, response.text


@pytest.fixture
def admin_client(client: TestClient, demo_installation: Installation) -> TestClient:
    from vitrine.demo.loader import DEMO_OPERATOR_EMAIL, OPERATOR_LOGIN_FILE

    password = (demo_installation.settings.data_dir / OPERATOR_LOGIN_FILE).read_text().strip()
    log_in(client, DEMO_OPERATOR_EMAIL, password)
    return client

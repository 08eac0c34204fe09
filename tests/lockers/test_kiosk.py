"""The kiosk page at /locker/{site}: type the code, the compartment opens; errors read clearly."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.lockers.conftest import Lockers, code_sent_to, make_site, sqlite_only
from vitrine.db import utc_now
from vitrine.installation import Installation
from vitrine.lockers import flows
from vitrine.lockers import parcel_service as parcels
from vitrine.lockers.pickup import service as pickup_service
from vitrine.lockers.policy import policy_from_settings
from vitrine.web.app import create_app

pytestmark = sqlite_only


@pytest.fixture
def kiosk(installation: Installation, db_session: Session) -> Iterator[tuple[TestClient, Lockers]]:
    site = make_site(db_session)
    _, token = parcels.create_courier(db_session=db_session, name="Rapide")
    lockers = Lockers(db_session, policy_from_settings(installation.settings), site, token)
    with TestClient(create_app(installation)) as client:
        yield client, lockers


def _form_token(client: TestClient, url: str) -> str:
    page = client.get(url, headers={"accept": "text/html"})
    assert page.status_code == 200
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


def test_the_right_code_opens_the_compartment(kiosk: tuple[TestClient, Lockers]) -> None:
    client, lockers = kiosk
    lockers.paid("order-1")
    flows.deposit(
        db_session=lockers.db_session,
        courier_token=lockers.courier_token,
        site_id=lockers.site.id,
        order_ref="order-1",
        policy=lockers.policy,
    )
    code = code_sent_to(lockers.db_session, "order-1@example.com", lockers.policy.secret_key)
    url = f"/locker/{lockers.site.id}"
    token = _form_token(client, url)
    opened = client.post(
        url, data={"code": f"{code[:3]} {code[3:6]} {code[6:]}", "csrf_token": token}
    )
    assert opened.status_code == 200
    assert "Compartment A01 is open" in opened.text
    again = client.post(url, data={"code": code, "csrf_token": token})
    assert again.status_code == 409 and "This code was already used" in again.text


def test_a_wrong_code_and_a_flooded_site_are_explained(kiosk: tuple[TestClient, Lockers]) -> None:
    client, lockers = kiosk
    url = f"/locker/{lockers.site.id}"
    token = _form_token(client, url)
    wrong = client.post(url, data={"code": "0000000000", "csrf_token": token})
    assert wrong.status_code == 403 and "Wrong code" in wrong.text
    lockers.site.locked_until = utc_now() + timedelta(minutes=20)  # the next typed check's slot
    lockers.db_session.commit()
    flooded = client.post(url, data={"code": "0000000000", "csrf_token": token})
    assert flooded.status_code == 429 and 1150 <= int(flooded.headers["retry-after"]) <= 1170
    assert "scan the QR code in your message" in flooded.text


def test_the_qr_token_opens_a_flooded_site_at_once(kiosk: tuple[TestClient, Lockers]) -> None:
    client, lockers = kiosk
    lockers.paid("order-1")
    flows.deposit(
        db_session=lockers.db_session,
        courier_token=lockers.courier_token,
        site_id=lockers.site.id,
        order_ref="order-1",
        policy=lockers.policy,
    )
    lockers.site.locked_until = utc_now() + timedelta(hours=2)
    lockers.db_session.commit()
    qr = pickup_service.pickup_token_for_order(
        db_session=lockers.db_session, order_ref="order-1", secret_key=lockers.policy.secret_key
    )
    assert qr is not None
    url = f"/locker/{lockers.site.id}"
    opened = client.post(url, data={"code": qr, "csrf_token": _form_token(client, url)})
    assert opened.status_code == 200 and "Compartment A01 is open" in opened.text


def test_a_form_without_its_csrf_token_is_refused(kiosk: tuple[TestClient, Lockers]) -> None:
    client, lockers = kiosk
    url = f"/locker/{lockers.site.id}"
    _form_token(client, url)
    assert client.post(url, data={"code": "0000000000"}).status_code == 403
    assert client.post(url, data={"code": "0000000000", "csrf_token": "x"}).status_code == 403


def test_an_unknown_locker_is_a_404_page(kiosk: tuple[TestClient, Lockers]) -> None:
    client, _ = kiosk
    page = client.get("/locker/nope", headers={"accept": "text/html"})
    assert page.status_code == 404 and "This locker does not exist." in page.text


def test_the_kiosk_answers_at_the_sites_reference_in_the_phones_language(
    kiosk: tuple[TestClient, Lockers],
) -> None:
    client, lockers = kiosk
    lockers.paid("order-2")
    flows.deposit(
        db_session=lockers.db_session,
        courier_token=lockers.courier_token,
        site_id=lockers.site.id,
        order_ref="order-2",
        policy=lockers.policy,
    )
    code = code_sent_to(lockers.db_session, "order-2@example.com", lockers.policy.secret_key)
    url = f"/locker/{lockers.site.ref}"  # "les-halles", as printed on the locker
    french = {"accept-language": "fr-FR,fr;q=0.9"}
    page = client.get(url, headers={**french, "accept": "text/html"})
    assert page.status_code == 200 and "Ouvrir mon casier" in page.text
    token = _form_token(client, url)
    wrong = client.post(url, data={"code": "0000000000", "csrf_token": token}, headers=french)
    assert wrong.status_code == 403 and "Code erroné" in wrong.text
    opened = client.post(url, data={"code": code, "csrf_token": token}, headers=french)
    assert opened.status_code == 200 and "Le casier A01 est ouvert" in opened.text
    assert client.get("/locker/no-such-site", headers={"accept": "text/html"}).status_code == 404

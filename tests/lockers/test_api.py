"""The locker API: sites, courier deposits (Bearer token), pickup; each error a clear status."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.asyncio_runner import run_async
from tests.lockers.conftest import Lockers, code_sent_to, make_site, sqlite_only
from vitrine.db import utc_now
from vitrine.installation import Installation
from vitrine.lockers import flows
from vitrine.lockers import parcel_service as parcels
from vitrine.lockers.models import PickupAttempt
from vitrine.lockers.policy import policy_from_settings
from vitrine.orders.models import Order
from vitrine.web.app import create_app

# The service tests run on both databases; the HTTP layer on SQLite is enough.
pytestmark = sqlite_only


@pytest.fixture
def api_lockers(installation: Installation, db_session: Session) -> Lockers:
    site = make_site(db_session)
    _, token = parcels.create_courier(db_session=db_session, name="Rapide")
    return Lockers(db_session, policy_from_settings(installation.settings), site, token)


@pytest.fixture
def client(installation: Installation) -> Iterator[TestClient]:
    with TestClient(create_app(installation)) as test_client:
        yield test_client


def _deposit(client: TestClient, token: str, site_id: str, order_ref: str, **more: object) -> dict:
    response = client.post(
        "/api/v1/lockers/deposits",
        json={"site_id": site_id, "order_ref": order_ref, **more},
        headers={"Authorization": f"Bearer {token}"},
    )
    return {"http": response.status_code, **response.json()}


def test_sites_are_listed_with_free_compartments_nearest_first(
    client: TestClient, api_lockers: Lockers
) -> None:
    make_site(api_lockers.db_session, "Bastille", {"S": 1}, 48.8532, 2.3692)
    sites = client.get("/api/v1/lockers/sites").json()
    assert [(s["name"], s["free"]) for s in sites] == [
        ("Bastille", {"S": 1}),
        ("Les Halles", {"S": 2, "M": 2, "L": 1}),
    ]
    near = client.get("/api/v1/lockers/sites", params={"latitude": 48.86, "longitude": 2.347})
    assert near.json()[0]["name"] == "Les Halles" and near.json()[0]["km"] < 1
    one = client.get(f"/api/v1/lockers/sites/{api_lockers.site.id}").json()
    assert len(one["id"]) == 32 and one["opening_hours"] == "24/7"
    assert client.get("/api/v1/lockers/sites/nope").status_code == 404


def test_a_courier_deposits_and_the_shopper_picks_up_once(
    client: TestClient, api_lockers: Lockers
) -> None:
    api_lockers.paid("order-1", size="M")
    site_id = api_lockers.site.id
    deposited = _deposit(client, api_lockers.courier_token, site_id, "order-1")
    assert (deposited["http"], deposited["status"]) == (201, "deposited")
    assert (deposited["site_name"], deposited["compartment"]) == ("Les Halles", "A03")
    code = code_sent_to(
        api_lockers.db_session, "order-1@example.com", api_lockers.policy.secret_key
    )
    url = f"/api/v1/lockers/sites/{site_id}/pickup"
    opened = client.post(url, json={"code": code})
    assert (opened.status_code, opened.json()["compartment"]) == (200, "A03")
    again = client.post(url, json={"code": code})
    assert (again.status_code, again.json()["detail"]) == (
        409,
        "This code was already used: the compartment was opened.",
    )


def test_a_courier_uses_the_order_number_and_site_reference_people_see(
    client: TestClient, api_lockers: Lockers
) -> None:
    order_id = "2c24eaa6" + "0" * 24
    api_lockers.db_session.add(
        Order(
            id=order_id,
            tracking_token="t-1",
            idempotency_key="k-1",
            state="paid",
            delivery_method="locker",
            total_minor=199,
            currency="EUR",
        )
    )
    api_lockers.db_session.commit()
    api_lockers.paid(order_id, size="M")
    assert api_lockers.site.ref == "les-halles"
    deposited = _deposit(client, api_lockers.courier_token, "les-halles", "2C24EAA6")
    assert (deposited["http"], deposited["status"], deposited["site_id"]) == (
        201,
        "deposited",
        api_lockers.site.id,
    )
    code = code_sent_to(
        api_lockers.db_session, f"{order_id}@example.com", api_lockers.policy.secret_key
    )
    opened = client.post("/api/v1/lockers/sites/les-halles/pickup", json={"code": code})
    assert opened.status_code == 200
    assert client.get("/api/v1/lockers/sites/les-halles").json()["id"] == api_lockers.site.id
    unknown = _deposit(client, api_lockers.courier_token, "les-halles", "FFFFFFFF")
    assert unknown["http"] == 404
    nowhere = _deposit(client, api_lockers.courier_token, "no-such-site", "2C24EAA6")
    assert nowhere["http"] == 404


def test_courier_errors_have_clear_statuses(client: TestClient, api_lockers: Lockers) -> None:
    site_id = api_lockers.site.id
    no_token = client.post("/api/v1/lockers/deposits", json={"site_id": site_id, "order_ref": "x"})
    assert no_token.status_code == 401
    assert no_token.headers["www-authenticate"] == "Bearer"
    wrong = _deposit(client, "vtc_wrong", site_id, "x")
    assert (wrong["http"], wrong["detail"]) == (401, "unknown courier token")
    nowhere = _deposit(client, "vtc_wrong", "no-such-site", "x")  # the token first, then the ids
    assert (nowhere["http"], nowhere["detail"]) == (401, "unknown courier token")
    unknown = _deposit(client, api_lockers.courier_token, site_id, "nope")
    assert (unknown["http"], unknown["detail"]) == (404, "order nope has no locker delivery")
    api_lockers.paid("big")
    too_big = _deposit(client, api_lockers.courier_token, site_id, "big", dimensions_cm=[90, 9, 9])
    assert (too_big["http"], too_big["detail"]) == (
        409,
        "a parcel of (90.0, 9.0, 9.0) cm fits in no compartment",
    )
    api_lockers.paid("l1", size="L")
    _deposit(client, api_lockers.courier_token, site_id, "l1")
    full = _deposit(client, api_lockers.courier_token, site_id, "big", size="L")
    assert full["http"] == 409 and "no site within 3 km" in full["detail"]


def _past_failures(lockers: Lockers, client: str, count: int) -> None:
    for _ in range(count):
        lockers.db_session.add(
            PickupAttempt(
                site_id=lockers.site.id,
                client=client,
                outcome="wrong_code",
                counts_as_failure=True,
                created_at=utc_now(),
            )
        )
    lockers.db_session.commit()


def test_pickup_errors_have_clear_statuses(client: TestClient, api_lockers: Lockers) -> None:
    url = f"/api/v1/lockers/sites/{api_lockers.site.id}/pickup"
    assert client.post(url, json={"code": "12"}).status_code == 422
    assert client.post(url, json={"code": "000 000 0000"}).status_code == 403
    assert client.post(url, json={"code": "VP1-forged"}).status_code == 403
    _past_failures(api_lockers, "testclient", 6)
    started = time.monotonic()
    answered = client.post(url, json={"code": "000 000 0000"})
    assert answered.status_code == 429 and 890 <= int(answered.headers["retry-after"]) <= 900
    assert answered.json()["detail"].startswith("Too many wrong codes from here: try again in")
    assert time.monotonic() - started < 1  # past the cap: answered at once, no wait
    nowhere = client.post("/api/v1/lockers/sites/nope/pickup", json={"code": "000 000 0000"})
    assert nowhere.status_code == 404


def test_a_slowed_code_waits_without_stalling_other_requests(
    installation: Installation, api_lockers: Lockers
) -> None:
    api_lockers.paid("order-1")
    flows.deposit(
        db_session=api_lockers.db_session,
        courier_token=api_lockers.courier_token,
        site_id=api_lockers.site.id,
        order_ref="order-1",
        policy=api_lockers.policy,
    )
    code = code_sent_to(
        api_lockers.db_session, "order-1@example.com", api_lockers.policy.secret_key
    )
    _past_failures(api_lockers, "10.0.0.7", 3)  # the next check waits 2 s
    app = create_app(installation)

    async def scenario() -> tuple[float, float, int]:
        transport = httpx.ASGITransport(app=app, client=("10.0.0.7", 1234))
        async with httpx.AsyncClient(transport=transport, base_url="http://kiosk") as http:
            started = time.monotonic()
            slowed = asyncio.create_task(
                http.post(
                    f"/api/v1/lockers/sites/{api_lockers.site.id}/pickup", json={"code": code}
                )
            )
            await asyncio.sleep(0.2)
            assert (await http.get("/api/v1/health")).status_code == 200
            health_at = time.monotonic() - started
            response = await slowed
            return health_at, time.monotonic() - started, response.status_code

    health_at, pickup_at, status = run_async(scenario())
    assert status == 200 and pickup_at >= 2.0
    assert health_at < 1.5  # the event loop kept answering while the code waited


def test_returns_are_taken_out_by_a_courier(client: TestClient, api_lockers: Lockers) -> None:
    url = f"/api/v1/lockers/sites/{api_lockers.site.id}/returns"
    assert client.post(url).status_code == 401
    headers = {"Authorization": f"Bearer {api_lockers.courier_token}"}
    assert client.post(url, headers=headers).json() == {"compartments": []}


def test_the_locker_api_is_documented(client: TestClient) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert {
        "/api/v1/lockers/sites",
        "/api/v1/lockers/deposits",
        "/api/v1/lockers/sites/{site_id}/pickup",
        "/api/v1/lockers/sites/{site_id}/returns",
    } <= set(paths)
    assert "429" in paths["/api/v1/lockers/sites/{site_id}/pickup"]["post"]["responses"]

"""What the shopper and the operator see of the messages: the pickup code and its QR on the
order page until pickup, and the operator's outbox with its retry button (login and CSRF)."""

from __future__ import annotations

import re
import secrets

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.web.conftest import first_variant
from tests.web.test_orders_api import CARD
from vitrine.installation import Installation
from vitrine.lockers import flows
from vitrine.lockers import parcel_service as parcels
from vitrine.lockers import site_service as sites
from vitrine.lockers.codes import format_code
from vitrine.lockers.pickup import service as pickup_service
from vitrine.lockers.policy import policy_from_settings
from vitrine.lockers.qr import pickup_qr_svg
from vitrine.notifications import service as outbox
from vitrine.notifications.models import OutboxMessage
from vitrine.orders import service as orders


def _locker_order(client: TestClient, installation: Installation) -> tuple[str, str, str]:
    """(tracking token, order id, site id) of a paid locker order."""
    with installation.session_factory() as session:
        site = sites.list_sites(db_session=session)[0]
        site_id = site.id
    cart = client.post("/api/v1/carts").json()["id"]
    _, variant_id = first_variant(client, "Kiwi")
    client.put(f"/api/v1/carts/{cart}/items/{variant_id}", json={"quantity": 1})
    details = {"email": "lea@example.fr", "delivery_method": "locker", "locker_site_id": site_id}
    body = {
        "cart_id": cart,
        "idempotency_key": secrets.token_urlsafe(16),
        "details": details,
        "card": CARD,
    }
    response = client.post("/api/v1/checkout", json=body)
    assert response.status_code == 201, response.text
    token = response.json()["tracking_token"]
    with installation.session_factory() as session:
        order = orders.get_order_by_tracking(db_session=session, tracking_token=token)
        assert order is not None
        return token, order.id, site_id


def _deposit(installation: Installation, order_id: str, site_id: str) -> str:
    """Deposit the parcel; the code, as the shopper receives it (rendered at send time)."""
    policy = policy_from_settings(installation.settings)
    with installation.session_factory() as session:
        _, courier = parcels.create_courier(db_session=session, name="Rapide")
        flows.deposit(
            db_session=session,
            courier_token=courier,
            site_id=site_id,
            order_ref=order_id,
            policy=policy,
        )
        delivery = outbox.delivery_from_settings(installation.settings)
        [message] = session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "ready_for_pickup")
        ).all()
        found = re.search(r"Pickup code: ([\d ]+)", outbox.notification_of(message, delivery).body)
        assert found is not None
        return found.group(1).replace(" ", "")


def test_the_order_page_shows_the_pickup_code_and_its_qr_until_pickup(
    client: TestClient, demo_installation: Installation
) -> None:
    token, order_id, site_id = _locker_order(client, demo_installation)
    before = client.get(f"/orders/{token}")
    assert 'data-testid="pickup-code"' not in before.text  # not deposited yet
    code = _deposit(demo_installation, order_id, site_id)
    page = client.get(f"/orders/{token}").text
    assert f'data-testid="pickup-code">{format_code(code)}<' in page
    with demo_installation.session_factory() as session:
        token = pickup_service.pickup_token_for_order(
            db_session=session, order_ref=order_id, secret_key=demo_installation.settings.secret_key
        )
    assert token is not None and pickup_qr_svg(token) in page
    assert "Pickup code: ••••••••••" in page  # the message preview masks it
    assert 'data-state="pending"' in page and "not sent yet" in page  # no sender: kept
    kiosk = f"/locker/{site_id}"
    form = re.search(r'name="csrf_token" value="([^"]+)"', client.get(kiosk).text)
    assert form is not None
    opened = client.post(kiosk, data={"code": code, "csrf_token": form.group(1)})
    assert opened.status_code == 200 and "is open" in opened.text
    after = client.get(f"/orders/{token}").text
    assert 'data-testid="pickup-code"' not in after and format_code(code) not in after


def test_the_operator_outbox_lists_messages_and_retries_dead_ones(
    admin_client: TestClient, demo_installation: Installation
) -> None:
    anonymous = TestClient(admin_client.app)
    assert anonymous.get("/operator/outbox", follow_redirects=False).status_code in (302, 303)
    _, order_id, site_id = _locker_order(admin_client, demo_installation)
    _deposit(demo_installation, order_id, site_id)
    page = admin_client.get("/operator/outbox").text
    assert 'data-testid="no-sender"' in page
    assert "Your parcel is ready at" in page and "Your Vitrine order is confirmed" in page
    assert 'data-testid="retry"' not in page  # nothing dead or retrying yet
    with demo_installation.session_factory() as session:
        message = session.scalars(select(OutboxMessage)).first()
        assert message is not None
        message.attempts, message.dead_at, message.last_error = 6, message.created_at, "554 no"
        message_id = message.id
        session.commit()
    page = admin_client.get("/operator/outbox").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert csrf is not None and 'data-testid="retry"' in page and "554 no" in page
    forged = anonymous.post(f"/operator/outbox/{message_id}/retry", follow_redirects=False)
    assert forged.status_code in (302, 303, 401, 403)
    no_token = admin_client.post(f"/operator/outbox/{message_id}/retry")
    assert no_token.status_code == 403
    unknown = admin_client.post("/operator/outbox/nope/retry", data={"csrf_token": csrf.group(1)})
    assert unknown.status_code == 404
    retried = admin_client.post(
        f"/operator/outbox/{message_id}/retry", data={"csrf_token": csrf.group(1)}
    )
    assert retried.status_code == 200  # back on the outbox page
    with demo_installation.session_factory() as session:
        again = session.get(OutboxMessage, message_id)
        assert again is not None and outbox.state_of(again) == "pending"

"""Shopper sign-in by a one-time code: carts merge on sign-in and follow the shopper."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.web.conftest import csrf_of, first_variant
from vitrine.installation import Installation
from vitrine.notifications import service as outbox
from vitrine.notifications.models import OutboxMessage


def _code(installation: Installation, email: str) -> str:
    delivery = outbox.delivery_from_settings(installation.settings)
    with installation.session_factory() as session:
        message = session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.recipient == email.lower())
            .order_by(OutboxMessage.created_at.desc())
        ).first()
        assert message is not None
        assert "Your code is" in message.body and not re.search(r"\d{6}", message.body)
        body = outbox.notification_of(message, delivery).body
    match = re.search(r"Your code is (\d{6})", body)
    assert match is not None
    return match.group(1)


def _sign_in(
    client: TestClient, installation: Installation, email: str, code: str | None = None
) -> object:
    csrf = csrf_of(client, "/account")
    client.post("/account/code", data={"email": email, "csrf_token": csrf})
    return client.post(
        "/account/sign-in",
        follow_redirects=False,
        data={"email": email, "code": code or _code(installation, email), "csrf_token": csrf},
    )


def _add(client: TestClient, variant_id: str) -> None:
    client.post(
        "/cart/lines", data={"variant_id": variant_id, "csrf_token": csrf_of(client, "/cart")}
    )


def test_the_cart_merges_on_sign_in_and_follows_the_shopper(
    client: TestClient, demo_installation: Installation
) -> None:
    _, kiwi = first_variant(client, "Kiwi")
    _, lime = first_variant(client, "Lime")
    phone = TestClient(client.app)
    _add(phone, kiwi)
    assert _sign_in(phone, demo_installation, "lea@example.fr").status_code == 303  # type: ignore[attr-defined]
    laptop = TestClient(client.app)
    _add(laptop, lime)
    _add(laptop, kiwi)
    assert _sign_in(laptop, demo_installation, "Lea@Example.fr").status_code == 303  # type: ignore[attr-defined]
    cart = laptop.get("/cart").text
    assert "Lime" in cart
    assert re.search(r'name="quantity" value="2"', cart)  # 1 kiwi on the phone + 1 on the laptop
    assert "Signed in as lea@example.fr" in laptop.get("/account").text


def test_wrong_expired_and_reused_codes_are_refused(
    client: TestClient, demo_installation: Installation
) -> None:
    wrong = _sign_in(client, demo_installation, "tom@example.fr", code="000000")
    assert (wrong.status_code, "this code is wrong" in wrong.text) == (401, True)  # type: ignore[attr-defined]
    csrf = csrf_of(client, "/account")
    for _ in range(5):
        client.post(
            "/account/sign-in",
            data={"email": "tom@example.fr", "code": "111111", "csrf_token": csrf},
        )
    code = _code(demo_installation, "tom@example.fr")
    dead = client.post(
        "/account/sign-in", data={"email": "tom@example.fr", "code": code, "csrf_token": csrf}
    )
    assert (dead.status_code, "expired" in dead.text) == (401, True)
    fine = _sign_in(client, demo_installation, "tom@example.fr")
    assert fine.status_code == 303  # type: ignore[attr-defined]
    reused = client.post(
        "/account/sign-in",
        data={
            "email": "tom@example.fr",
            "code": _code(demo_installation, "tom@example.fr"),
            "csrf_token": csrf,
        },
    )
    assert reused.status_code == 401
    bad_email = client.post("/account/code", data={"email": "nope", "csrf_token": csrf})
    assert (bad_email.status_code, "not an email address" in bad_email.text) == (400, True)


def test_asking_for_many_codes_is_slowed_down(client: TestClient) -> None:
    csrf = csrf_of(client, "/account")
    statuses = [
        client.post(
            "/account/code", data={"email": f"x{i}@example.fr", "csrf_token": csrf}
        ).status_code
        for i in range(6)
    ]
    assert statuses == [200] * 5 + [429]

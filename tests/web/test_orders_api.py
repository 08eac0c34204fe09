"""The cart, checkout and order API gives a native app what the pages give a browser."""

from __future__ import annotations

import dataclasses
import secrets

from fastapi.testclient import TestClient

from tests.web.conftest import first_variant

DETAILS = {
    "email": "lea@example.fr",
    "delivery_method": "home",
    "recipient_name": "Léa",
    "address_line": "12 rue Rambuteau",
    "postcode": "75003",
    "city": "Paris",
}
CARD = {"number": "4242424242424242", "expiry_month": 12, "expiry_year": 2030, "cvc": "123"}


def _cart(client: TestClient, quantity: int = 2) -> str:
    cart = client.post("/api/v1/carts").json()
    _, variant_id = first_variant(client, "Granny Smith")
    response = client.put(
        f"/api/v1/carts/{cart['id']}/items/{variant_id}", json={"quantity": quantity}
    )
    assert response.status_code == 200
    assert response.json()["total_minor"] == 199 * quantity
    return str(cart["id"])


def _checkout(client: TestClient, cart_id: str, key: str | None = None, **card: object) -> object:
    body = {
        "cart_id": cart_id,
        "idempotency_key": key or secrets.token_urlsafe(16),
        "details": DETAILS,
        "card": {**CARD, **card},
    }
    return client.post("/api/v1/checkout", json=body)


def test_a_cart_checks_out_and_the_order_is_readable(client: TestClient) -> None:
    response = _checkout(client, _cart(client))
    assert response.status_code == 201
    token = response.json()["tracking_token"]
    order = client.get(f"/api/v1/orders/{token}").json()
    assert (order["state"], order["total_minor"], len(order["lines"])) == ("paid", 398, 1)
    assert [e["to_state"] for e in order["events"]] == ["placed", "paid"]


def test_a_replayed_checkout_returns_the_first_order(client: TestClient) -> None:
    cart_id, key = _cart(client), secrets.token_urlsafe(16)
    first = _checkout(client, cart_id, key)
    again = _checkout(client, cart_id, key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["replayed"] is True
    assert again.json()["tracking_token"] == first.json()["tracking_token"]


def test_declines_invalid_details_and_empty_carts_are_clear(client: TestClient) -> None:
    cart_id = _cart(client)
    declined = _checkout(client, cart_id, number="4000000000000069")
    assert (declined.status_code, declined.json()["message"]) == (402, "The card has expired.")
    body = {
        "cart_id": cart_id,
        "idempotency_key": secrets.token_urlsafe(16),
        "details": {**DETAILS, "email": "x"},
        "card": CARD,
    }
    invalid = client.post("/api/v1/checkout", json=body)
    [fault] = invalid.json()["detail"]
    assert (invalid.status_code, fault["loc"]) == (422, ["body", "details", "home", "email"])
    empty = client.post("/api/v1/carts").json()["id"]
    refused = _checkout(client, empty)
    assert (refused.status_code, refused.json()["detail"]) == (409, "your cart is empty")


def test_bad_cart_requests(client: TestClient) -> None:
    cart_id = _cart(client)
    assert client.get("/api/v1/carts/nope").status_code == 404
    unknown = client.put(f"/api/v1/carts/{cart_id}/items/nope", json={"quantity": 1})
    assert (unknown.status_code, unknown.json()["detail"]) == (
        409,
        "this product variant does not exist",
    )
    _, variant_id = first_variant(client, "Granny Smith")
    for quantity in (-1, 0, 21):  # 1 to 20 of one item
        refused = client.put(
            f"/api/v1/carts/{cart_id}/items/{variant_id}", json={"quantity": quantity}
        )
        assert refused.status_code == 422
    removed = client.delete(f"/api/v1/carts/{cart_id}/items/{variant_id}").json()
    assert removed["items"] == []
    assert client.get("/api/v1/orders/unknown").status_code == 404


def test_a_payment_whose_answer_is_lost_answers_202_and_a_retry_settles_it(
    client: TestClient,
) -> None:
    from tests.orders.test_recovery import LostAnswers

    app = client.app
    desk = app.state.checkout_desk  # type: ignore[attr-defined]
    cart_id, key = _cart(client), secrets.token_urlsafe(16)
    app.state.checkout_desk = dataclasses.replace(  # type: ignore[attr-defined]
        desk, gateway=LostAnswers(desk.gateway, charge_arrives=True)
    )
    try:
        first = _checkout(client, cart_id, key)
    finally:
        app.state.checkout_desk = desk  # type: ignore[attr-defined]
    assert (first.status_code, first.json()["state"]) == (202, "placed")
    again = _checkout(client, cart_id, key)  # the gateway had charged: paid, not charged twice
    assert (again.status_code, again.json()["state"], again.json()["replayed"]) == (
        200,
        "paid",
        True,
    )
    assert again.json()["tracking_token"] == first.json()["tracking_token"]
    events = client.get(f"/api/v1/orders/{first.json()['tracking_token']}").json()["events"]
    assert [(e["to_state"], e["actor"]) for e in events] == [
        ("placed", "shopper"),
        ("paid", "reconciler"),
    ]


def test_an_api_checkout_in_french_gets_its_messages_in_french(client: TestClient) -> None:
    body = {
        "cart_id": _cart(client),
        "idempotency_key": secrets.token_urlsafe(16),
        "details": DETAILS,
        "card": CARD,
        "language": "fr",
    }
    response = client.post("/api/v1/checkout", json=body)
    assert response.status_code == 201
    page = client.get(f"/orders/{response.json()['tracking_token']}").text
    assert "Votre commande Vitrine est confirmée" in page
    body["language"] = "de"
    assert client.post("/api/v1/checkout", json=body).status_code == 422

"""Catalog rows with stock, a cart, a locker site and a checkout desk with the sandbox gateway."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session

from vitrine.catalog import stock_service as stock
from vitrine.catalog.models import Product, Variant
from vitrine.installation import Installation
from vitrine.lockers import site_service as lockers
from vitrine.lockers.policy import LockerPolicy
from vitrine.orders import service as orders
from vitrine.orders.contact import CheckoutDetails
from vitrine.orders.flows import CheckoutDesk, CheckoutRequest
from vitrine.orders.payments import CardDetails
from vitrine.orders.sandbox_gateway import SandboxGateway

GOOD_CARD = CardDetails("4242 4242 4242 4242", 12, 2099, "123")
DECLINED_CARD = CardDetails("4000 0000 0000 0002", 12, 2099, "123")
HOME = CheckoutDetails(
    email="lea@example.fr",
    phone="",
    delivery_method="home",
    recipient_name="Léa Martin",
    address_line="12 rue Rambuteau",
    postcode="75003",
    city="Paris",
)


@dataclass
class Shop:
    installation: Installation
    desk: CheckoutDesk
    gateway: SandboxGateway
    variant_id: str
    locker_site_id: str

    def cart_with(self, quantity: int = 1, variant_id: str | None = None) -> str:
        with self.installation.session_factory() as session, session.begin():
            cart = orders.open_cart(db_session=session, cart_id=None, showroom_id=None)
            orders.set_quantity(
                db_session=session,
                cart=cart,
                variant_id=variant_id or self.variant_id,
                quantity=quantity,
            )
            return cart.id

    def request(self, cart_id: str, **changes: object) -> CheckoutRequest:
        values: dict[str, object] = {
            "cart_id": cart_id,
            "details": HOME,
            "card": GOOD_CARD,
            "idempotency_key": secrets.token_urlsafe(16),
        }
        values.update(changes)
        return CheckoutRequest(**values)  # type: ignore[arg-type]


def add_product(session: Session, sku: str, price_minor: int, units: int) -> str:
    product = Product(sku=sku, name=f"Product {sku}")
    product.variants.append(Variant(sku=f"{sku}-1", label="one", price_minor=price_minor,
                                    currency="EUR"))  # fmt: skip
    session.add(product)
    session.flush()
    stock.set_stock(
        db_session=session, variant_id=product.variants[0].id, warehouse_code="WH", on_hand=units
    )
    return product.variants[0].id


@pytest.fixture
def shop(installation: Installation) -> Shop:
    with installation.session_factory() as session, session.begin():
        variant_id = add_product(session, "TEE", 1990, units=3)
    with installation.session_factory() as session:
        site = lockers.create_site(
            db_session=session, name="Rambuteau", latitude=48.861, longitude=2.350,
            compartments={"S": 1, "M": 1},
        )  # fmt: skip
        site_id = site.id
    gateway = SandboxGateway(installation.settings.sandbox_ledger)
    desk = CheckoutDesk(
        session_factory=installation.session_factory,
        gateway=gateway,
        locker_policy=LockerPolicy(secret_key="test-secret"),
    )
    return Shop(installation, desk, gateway, variant_id, site_id)

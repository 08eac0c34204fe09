"""A showroom with two products in stock, a live session on air and a checkout desk for deals."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from tests.orders.conftest import GOOD_CARD, HOME, add_product
from vitrine.catalog.service import get_variant
from vitrine.installation import Installation
from vitrine.live import service as live
from vitrine.live.deal_service import LiveOffers
from vitrine.live.deals import DealTerms
from vitrine.lockers.policy import LockerPolicy
from vitrine.orders import service as orders
from vitrine.orders.flows import CheckoutDesk, CheckoutRequest
from vitrine.orders.sandbox_gateway import SandboxGateway
from vitrine.showrooms import service as showrooms


@dataclass
class OnAir:
    installation: Installation
    desk: CheckoutDesk
    showroom_id: str
    session_id: str
    product_ids: list[str]
    variant_ids: list[str]

    def pin_with_deal(self, *, units: int, price_minor: int = 990, minutes: float = 10) -> str:
        """Pin the first product with a flash deal; returns the deal id."""
        with self.installation.session_factory() as session, session.begin():
            session_live = live.get_session(db_session=session, session_id=self.session_id)
            assert session_live is not None
            pin = live.pin_product(
                db_session=session, live=session_live, product_id=self.product_ids[0]
            )
            terms = DealTerms(price_minor, units, datetime.now(UTC) + timedelta(minutes=minutes))
            return live.set_deal(
                db_session=session, live=session_live, pin_id=pin.id, terms=terms
            ).id

    def cart_with_deal(self, deal_id: str, quantity: int = 1) -> str:
        with self.installation.session_factory() as session, session.begin():
            cart = orders.open_cart(db_session=session, cart_id=None, showroom_id=self.showroom_id)
            orders.add_offer_to_cart(
                db_session=session,
                cart=cart,
                variant_id=self.variant_ids[0],
                offer_ref=deal_id,
                price_minor=self.desk.offers.price_of(
                    db_session=session, offer_ref=deal_id, variant_id=self.variant_ids[0]
                ),
                quantity=quantity,
            )
            return cart.id

    def request(self, cart_id: str) -> CheckoutRequest:
        return CheckoutRequest(
            cart_id=cart_id,
            details=HOME,
            card=GOOD_CARD,
            idempotency_key=secrets.token_urlsafe(16),
            showroom_id=self.showroom_id,
        )


@pytest.fixture
def on_air(installation: Installation) -> OnAir:
    with installation.session_factory() as session, session.begin():
        variants = [
            add_product(session, "JACKET", 4990, units=50),
            add_product(session, "CAP", 1500, units=50),
        ]
        showroom = showrooms.create_showroom(
            db_session=session, slug="les-halles", name="Les Halles", currency="EUR"
        )
        session_live = live.create_session(
            db_session=session,
            showroom_id=showroom.id,
            title="Autumn jackets, tested live",
            scheduled_at=datetime.now(UTC),
            playback_url="https://stream.example.com/live/index.m3u8",
            created_by="host@example.com",
        )
        live.start_session(db_session=session, live=session_live)
        products = [orders_variant_product(session, v) for v in variants]
        ids = (showroom.id, session_live.id)
    desk = CheckoutDesk(
        session_factory=installation.session_factory,
        gateway=SandboxGateway(),
        locker_policy=LockerPolicy(secret_key="test-secret"),
        offers=LiveOffers(),
    )
    return OnAir(installation, desk, ids[0], ids[1], products, variants)


def orders_variant_product(session: Session, variant_id: str) -> str:
    variant = get_variant(db_session=session, variant_id=variant_id)
    assert variant is not None
    return variant.product_id

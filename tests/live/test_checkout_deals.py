"""Flash deals at checkout: the live price, the limited quantity and the end time hold."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from tests.live.conftest import OnAir
from vitrine.live import service as live
from vitrine.live.models import LiveDeal
from vitrine.orders import service as orders
from vitrine.orders.flows import CheckoutRefused, checkout
from vitrine.orders.offers import OfferUnavailable


def _remaining(on_air: OnAir, deal_id: str) -> int:
    with on_air.installation.session_factory() as session:
        deal = session.get(LiveDeal, deal_id)
        assert deal is not None
        return deal.remaining


def test_a_deal_is_bought_at_the_live_price_and_its_units_go_down(on_air: OnAir) -> None:
    deal_id = on_air.pin_with_deal(units=2, price_minor=990)
    outcome = checkout(desk=on_air.desk, request=on_air.request(on_air.cart_with_deal(deal_id)))
    assert outcome.paid
    with on_air.installation.session_factory() as session:
        order = orders.get_order_by_tracking(
            db_session=session, tracking_token=outcome.tracking_token
        )
        assert order is not None
        assert (order.total_minor, order.lines[0].offer_ref) == (990, deal_id)
    assert _remaining(on_air, deal_id) == 1


def test_buying_after_the_deal_sold_out_is_refused_with_the_reason(on_air: OnAir) -> None:
    deal_id = on_air.pin_with_deal(units=1)
    late_cart = on_air.cart_with_deal(deal_id)
    assert checkout(desk=on_air.desk, request=on_air.request(on_air.cart_with_deal(deal_id))).paid
    with pytest.raises(CheckoutRefused, match="the deal is sold out"):
        checkout(desk=on_air.desk, request=on_air.request(late_cart))
    assert _remaining(on_air, deal_id) == 0


def test_buying_after_the_deal_ended_is_refused_with_the_reason(on_air: OnAir) -> None:
    deal_id = on_air.pin_with_deal(units=5)
    cart_id = on_air.cart_with_deal(deal_id)
    with on_air.installation.session_factory() as session, session.begin():
        past = datetime.now(UTC) - timedelta(seconds=1)
        session.execute(update(LiveDeal).where(LiveDeal.id == deal_id).values(ends_at=past))
    with pytest.raises(CheckoutRefused, match="the deal has ended"):
        checkout(desk=on_air.desk, request=on_air.request(cart_id))
    assert _remaining(on_air, deal_id) == 5


def test_a_deal_ends_with_its_session(on_air: OnAir) -> None:
    deal_id = on_air.pin_with_deal(units=5)
    cart_id = on_air.cart_with_deal(deal_id)
    with on_air.installation.session_factory() as session, session.begin():
        session_live = live.get_session(db_session=session, session_id=on_air.session_id)
        assert session_live is not None
        live.end_session(db_session=session, live=session_live)
    with pytest.raises(CheckoutRefused, match="the deal has ended"):
        checkout(desk=on_air.desk, request=on_air.request(cart_id))


def test_a_declined_payment_gives_the_units_back(on_air: OnAir) -> None:
    from tests.orders.conftest import DECLINED_CARD

    deal_id = on_air.pin_with_deal(units=1)
    request = on_air.request(on_air.cart_with_deal(deal_id))
    declined = checkout(
        desk=on_air.desk, request=type(request)(**{**request.__dict__, "card": DECLINED_CARD})
    )
    assert not declined.paid
    assert _remaining(on_air, deal_id) == 1


def test_an_unknown_or_foreign_offer_has_no_price(on_air: OnAir) -> None:
    deal_id = on_air.pin_with_deal(units=1)
    with on_air.installation.session_factory() as session:
        with pytest.raises(OfferUnavailable, match="does not exist"):
            on_air.desk.offers.price_of(db_session=session, offer_ref="nope", variant_id="x")
        with pytest.raises(OfferUnavailable, match="another product"):
            on_air.desk.offers.price_of(
                db_session=session, offer_ref=deal_id, variant_id=on_air.variant_ids[1]
            )


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_a_burst_of_buyers_never_oversells_the_deal_on_postgres(on_air: OnAir) -> None:
    units, buyers = 5, 16
    deal_id = on_air.pin_with_deal(units=units)
    carts = [on_air.cart_with_deal(deal_id) for _ in range(buyers)]
    results: list[str] = []
    barrier = threading.Barrier(buyers)

    def buy(cart_id: str) -> None:
        barrier.wait()
        try:
            results.append(checkout(desk=on_air.desk, request=on_air.request(cart_id)).state)
        except CheckoutRefused as refused:
            results.append(str(refused))

    threads = [threading.Thread(target=buy, args=(cart,)) for cart in carts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count("paid") == units
    assert all("the deal is sold out" in r for r in results if r != "paid")
    assert _remaining(on_air, deal_id) == 0
    with on_air.installation.session_factory() as session:
        sold = orders.units_sold_by_product(
            db_session=session,
            showroom_id=on_air.showroom_id,
            start=datetime.now(UTC) - timedelta(hours=1),
            end=datetime.now(UTC) + timedelta(hours=1),
        )
    assert sold == {on_air.product_ids[0]: units}

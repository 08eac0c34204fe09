"""Assembles a showroom's market-test figures from the analytics, catalog and orders services."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from vitrine.analytics.service import MarketTest, market_test
from vitrine.orders import service as orders
from vitrine.showrooms import service as showrooms
from vitrine.showrooms.models import Showroom


def market_test_of(
    *, db_session: Session, showroom: Showroom, start: datetime, end: datetime
) -> MarketTest:
    products = {
        p.id: p.name for p in showrooms.displayed_products(db_session=db_session, showroom=showroom)
    }
    sold = orders.units_sold_by_product(
        db_session=db_session, showroom_id=showroom.id, start=start, end=end
    )
    count = orders.count_paid_orders(
        db_session=db_session, showroom_id=showroom.id, start=start, end=end
    )
    return market_test(
        db_session=db_session,
        showroom_id=showroom.id,
        start=start,
        end=end,
        products=products,
        units_sold=sold,
        orders=count,
    )

"""Market-test figures from the shopper events (EventRecorder in event_service stores them)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vitrine.analytics.figures import ProductFunnel, rate
from vitrine.analytics.models import DroppedEvents, ShopperEvent


@dataclass(frozen=True)
class MarketTest:
    """Everything the dashboard and the PDF report show for one showroom and period."""

    showroom_id: str
    start: datetime
    end: datetime
    visitors: int
    landings: int
    photo_searches: int
    photo_found: int
    qr_scans: int
    text_searches: int
    orders: int
    funnels: list[ProductFunnel]
    hourly: list[int]  # events per hour of day (UTC), 24 values
    not_found_photos: list[ShopperEvent] = field(default_factory=list)
    dropped_events: int = 0  # counted because they could not be stored: the figures are low

    @property
    def search_success(self) -> float:
        return rate(self.photo_found, self.photo_searches)


def _events(
    db_session: Session, showroom_id: str, start: datetime, end: datetime
) -> list[ShopperEvent]:
    return list(
        db_session.scalars(
            select(ShopperEvent)
            .where(
                ShopperEvent.showroom_id == showroom_id,
                ShopperEvent.at >= start,
                ShopperEvent.at < end,
            )
            .order_by(ShopperEvent.at)
        )
    )


def _by_kind_and_product(events: list[ShopperEvent]) -> Counter[tuple[str, str | None]]:
    return Counter((event.kind, event.product_id) for event in events)


def market_test(
    *,
    db_session: Session,
    showroom_id: str,
    start: datetime,
    end: datetime,
    products: dict[str, str],
    units_sold: dict[str, int],
    orders: int,
) -> MarketTest:
    """Figures of a showroom over [start, end); `products` maps displayed product ids to names."""
    events = _events(db_session, showroom_id, start, end)
    kinds = Counter(event.kind for event in events)
    per_product = _by_kind_and_product(events)
    photo_hits = Counter(
        str(e.detail.get("top_product"))
        for e in events
        if e.kind == "photo_search" and not e.detail.get("not_found")
    )
    funnels = [
        ProductFunnel(
            product_id,
            name,
            per_product[("product_view", product_id)],
            per_product[("qr_scan", product_id)],
            photo_hits[product_id],
            per_product[("add_to_cart", product_id)],
            units_sold.get(product_id, 0),
        )
        for product_id, name in products.items()
    ]
    hourly = [0] * 24
    for event in events:
        hourly[event.at.hour] += 1
    return MarketTest(
        showroom_id=showroom_id,
        start=start,
        end=end,
        visitors=len({event.visitor for event in events if event.visitor}),
        landings=kinds["landing"],
        photo_searches=kinds["photo_search"],
        photo_found=sum(photo_hits.values()),
        qr_scans=kinds["qr_scan"],
        text_searches=kinds["text_search"],
        orders=orders,
        funnels=funnels,
        hourly=hourly,
        dropped_events=dropped_events(
            db_session=db_session, showroom_id=showroom_id, start=start, end=end
        ),
        not_found_photos=[
            e
            for e in events
            if (e.kind == "photo_search" and e.detail.get("not_found")) or e.kind == "not_this_one"
        ],
    )


def confusion_counts(*, db_session: Session, showroom_id: str) -> dict[str, int]:
    """How often shoppers said "not this one" to each product the search answered."""
    rows = db_session.execute(
        select(ShopperEvent.product_id, func.count())
        .where(ShopperEvent.showroom_id == showroom_id, ShopperEvent.kind == "not_this_one")
        .group_by(ShopperEvent.product_id)
    )
    return {str(product_id): int(count) for product_id, count in rows if product_id}


def dropped_events(*, db_session: Session, showroom_id: str, start: datetime, end: datetime) -> int:
    """Events of a showroom over the days of [start, end) that were counted but not stored."""
    last_day = end.date() if end.time() != time.min else end.date() - timedelta(days=1)
    total = db_session.scalar(
        select(func.coalesce(func.sum(DroppedEvents.count), 0)).where(
            DroppedEvents.showroom_id == showroom_id,
            DroppedEvents.day >= start.date(),
            DroppedEvents.day <= last_day,
        )
    )
    return int(total or 0)

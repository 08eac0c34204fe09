"""The figures of one live session for the operators' dashboard."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vitrine.db import utc_now
from vitrine.live.audience_service import count_viewers
from vitrine.live.models import LiveComment, LiveDeal, LivePin, LiveSession
from vitrine.live.service import pin_timeline
from vitrine.orders import service as orders


@dataclass(frozen=True)
class PinFigures:
    product_id: str
    product_name: str
    pinned_at: datetime
    unpinned_at: datetime | None
    offset_seconds: float
    units_sold: int  # paid units of the product in the showroom while it was pinned
    deal_units_sold: int  # of which at the live price


@dataclass(frozen=True)
class LiveReport:
    session_id: str
    title: str
    state: str
    peak_viewers: int
    total_viewers: int
    comments: int
    likes: int
    pins: list[PinFigures]


def _deal_units(db_session: Session, pin: LivePin) -> int:
    sold = db_session.scalar(
        select(func.sum(LiveDeal.quantity - LiveDeal.remaining)).where(LiveDeal.pin_id == pin.id)
    )
    return int(sold or 0)


def live_report(*, db_session: Session, live: LiveSession) -> LiveReport:
    comments = db_session.scalar(
        select(func.count()).select_from(LiveComment).where(LiveComment.session_id == live.id)
    )
    pins = []
    for pin, name, offset in pin_timeline(db_session=db_session, live=live):
        sold = orders.units_sold_by_product(
            db_session=db_session,
            showroom_id=live.showroom_id,
            start=pin.pinned_at,
            end=pin.unpinned_at or utc_now(),
        )
        pins.append(
            PinFigures(
                product_id=pin.product_id,
                product_name=name,
                pinned_at=pin.pinned_at,
                unpinned_at=pin.unpinned_at,
                offset_seconds=offset,
                units_sold=sold.get(pin.product_id, 0),
                deal_units_sold=_deal_units(db_session, pin),
            )
        )
    return LiveReport(
        session_id=live.id,
        title=live.title,
        state=live.state,
        peak_viewers=live.peak_viewers,
        total_viewers=count_viewers(db_session=db_session, session_id=live.id),
        comments=int(comments or 0),
        likes=live.likes,
        pins=pins,
    )

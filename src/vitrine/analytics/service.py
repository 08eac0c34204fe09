"""Recording shopper events; a failure to record never reaches the shopper's request."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session, sessionmaker

from vitrine.analytics.models import ShopperEvent

EVENT_KINDS = frozenset(
    {
        "landing",
        "photo_search",
        "text_search",
        "qr_scan",
        "product_view",
        "add_to_cart",
        "checkout",
        "payment",
        "order",
        "not_this_one",
    }
)
log = logging.getLogger("vitrine.analytics")


def record_event(
    *,
    session_factory: sessionmaker[Session],
    kind: str,
    showroom_id: str | None = None,
    product_id: str | None = None,
    visitor: str = "",
    source: str = "",
    detail: dict[str, object] | None = None,
) -> None:
    """Store one event in its own short transaction; log and swallow any storage error."""
    if kind not in EVENT_KINDS:
        raise ValueError(f"unknown event kind {kind!r}")
    try:
        with session_factory() as session, session.begin():
            session.add(
                ShopperEvent(
                    kind=kind,
                    showroom_id=showroom_id,
                    product_id=product_id,
                    visitor=visitor[:64],
                    source=source[:32],
                    detail=detail or {},
                )
            )
    except Exception:  # analytics must never break a purchase
        log.exception("could not record %s event", kind)

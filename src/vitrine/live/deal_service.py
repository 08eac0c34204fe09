"""Flash deals at checkout: the OfferDesk the checkout calls, and what "buy" puts in a cart.

`claim` is one conditional UPDATE in the order's own transaction: the row lock makes a burst
of buyers queue on the deal, and each sees the remaining units the previous one left, so the
deal never oversells.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from sqlalchemy import event, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from vitrine.db import utc_now
from vitrine.live import deals as deal_rules
from vitrine.live.fanout import LiveHub
from vitrine.live.models import LiveDeal, LiveSession
from vitrine.live.service import LIVE, append_event, pending_seqs
from vitrine.orders.offers import OfferUnavailable


def _deal_and_session(db_session: Session, deal_id: str) -> tuple[LiveDeal, LiveSession]:
    deal = db_session.get(LiveDeal, deal_id)
    live = db_session.get(LiveSession, deal.session_id) if deal else None
    if deal is None or live is None:
        raise OfferUnavailable("this offer does not exist")
    return deal, live


def deal_on_sale(*, db_session: Session, deal_id: str) -> LiveDeal:
    """The deal if someone can buy it now, else OfferUnavailable with the reason."""
    deal, live = _deal_and_session(db_session, deal_id)
    reason = deal_rules.unavailable_reason(
        remaining=deal.remaining, ends_at=deal.ends_at, session_live=live.state == LIVE,
        now=utc_now(),
    )  # fmt: skip
    if reason:
        raise OfferUnavailable(reason)
    return deal


def end_deal(*, db_session: Session, deal_id: str, session_id: str) -> None:
    """The host stops the deal now (units not sold stay unsold)."""
    deal, _ = _deal_and_session(db_session, deal_id)
    if deal.session_id != session_id:
        raise OfferUnavailable("this offer does not exist")
    deal.ends_at = min(deal.ends_at, utc_now())
    db_session.flush()
    _announce_stock(db_session, deal)


def _announce_stock(db_session: Session, deal: LiveDeal) -> None:
    db_session.refresh(deal)
    data: dict[str, object] = {
        "deal_id": deal.id,
        "remaining": deal.remaining,
        "ends_at": deal.ends_at.isoformat(),
    }
    append_event(db_session=db_session, session_id=deal.session_id, kind="deal", data=data)


@dataclass
class LiveOffers:
    """The OfferDesk of live flash deals; announces the new remaining units after commit."""

    hub: LiveHub | None = None

    def price_of(self, *, db_session: Session, offer_ref: str, variant_id: str) -> int:
        deal = deal_on_sale(db_session=db_session, deal_id=offer_ref)
        if deal.variant_id != variant_id:
            raise OfferUnavailable("this offer is for another product")
        return deal.price_minor

    def claim(self, *, db_session: Session, offer_ref: str, quantity: int) -> None:
        now = utc_now()
        live_now = select(LiveSession.id).where(
            LiveSession.id == LiveDeal.session_id, LiveSession.state == LIVE
        )
        result = db_session.execute(
            update(LiveDeal)
            .where(
                LiveDeal.id == offer_ref,
                LiveDeal.remaining >= quantity,
                LiveDeal.ends_at > now,
                live_now.exists(),
            )
            .values(remaining=LiveDeal.remaining - quantity)
            .execution_options(synchronize_session=False)
        )
        if cast(CursorResult[object], result).rowcount != 1:
            deal_on_sale(db_session=db_session, deal_id=offer_ref)  # raises with the reason
            raise OfferUnavailable(deal_rules.SOLD_OUT)  # fewer left than asked for
        deal, _ = _deal_and_session(db_session, offer_ref)
        self._announce(db_session, deal)

    def release(self, *, db_session: Session, offer_ref: str, quantity: int) -> None:
        deal = db_session.get(LiveDeal, offer_ref)
        if deal is None:
            return
        db_session.execute(
            update(LiveDeal)
            .where(LiveDeal.id == offer_ref)
            .values(remaining=LiveDeal.remaining + quantity)
            .execution_options(synchronize_session=False)
        )
        self._announce(db_session, deal)

    def _announce(self, db_session: Session, deal: LiveDeal) -> None:
        _announce_stock(db_session, deal)
        hub = self.hub
        if hub is None:
            return

        def after_commit(session: Session) -> None:
            for session_id, seq in pending_seqs(db_session=session).items():
                hub.announce(session_id=session_id, seq=seq)

        if not event.contains(db_session, "after_commit", after_commit):
            event.listen(db_session, "after_commit", after_commit, once=True)

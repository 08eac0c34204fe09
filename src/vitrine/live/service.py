"""Live-shopping use cases: sessions, pins, flash deals and the event log (audience_service.py:
comments, likes, viewers; deal_service.py: buying deals; report_service.py: the figures).

Every change a viewer must see appends to the session's event log in the same transaction;
the caller announces the new sequence to the hub after the commit (see `pending_seqs`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from vitrine.catalog import service as catalog
from vitrine.catalog.money import format_price
from vitrine.db import utc_now
from vitrine.live import deals as deal_rules
from vitrine.live.fanout import LiveEvent
from vitrine.live.models import (
    LiveDeal,
    LiveEventRow,
    LivePin,
    LiveSession,
)
from vitrine.live.streams import clean_url

SCHEDULED, LIVE, ENDED = "scheduled", "live", "ended"
MAX_PINNED = 3  # a short carousel at most
EVENTS_PER_READ = 500
PENDING_KEY = "vitrine.live.pending"


class LiveError(ValueError):
    """The host's or viewer's action is refused (the message is for them)."""


@dataclass(frozen=True)
class PinCard:
    """What a viewer's pinned-product card shows."""

    pin_id: str
    product_id: str
    variant_id: str
    name: str
    variant_label: str
    image_key: str | None
    price: str
    price_minor: int
    currency: str
    pinned_at: datetime
    deal: dict[str, object] | None
    names: dict[str, str] = field(default_factory=dict)  # the product's name by language

    def name_in(self, language: str) -> str:
        return self.names.get(language, self.name)

    def as_data(self) -> dict[str, object]:
        return {
            "pin_id": self.pin_id,
            "product_id": self.product_id,
            "name": self.name,
            "names": self.names,
            "variant_label": self.variant_label,
            "image": f"/media/{self.image_key}" if self.image_key else "",
            "price": self.price,
            "price_minor": self.price_minor,
            "currency": self.currency,
            "deal": self.deal,
        }


# --- the event log -------------------------------------------------------------------------


def append_event(
    *, db_session: Session, session_id: str, kind: str, data: dict[str, object]
) -> int:
    """Add an event under the session row's lock (sequence order is commit order)."""
    seq = db_session.execute(
        update(LiveSession)
        .where(LiveSession.id == session_id)
        .values(last_seq=LiveSession.last_seq + 1)
        .returning(LiveSession.last_seq)
    ).scalar_one()
    db_session.add(LiveEventRow(session_id=session_id, seq=seq, kind=kind, data=data))
    db_session.flush()
    db_session.info.setdefault(PENDING_KEY, {})[session_id] = seq
    return int(seq)


def pending_seqs(*, db_session: Session) -> dict[str, int]:
    """The sessions whose log this unit of work extended, and up to where (then forgotten)."""
    found: dict[str, int] = db_session.info.pop(PENDING_KEY, {})
    return found


def events_since(*, db_session: Session, session_id: str, after: int) -> list[LiveEvent]:
    rows = db_session.scalars(
        select(LiveEventRow)
        .where(LiveEventRow.session_id == session_id, LiveEventRow.seq > after)
        .order_by(LiveEventRow.seq)
        .limit(EVENTS_PER_READ)
    )
    return [LiveEvent(row.seq, row.kind, dict(row.data)) for row in rows]


# --- sessions ------------------------------------------------------------------------------


def create_session(
    *,
    db_session: Session,
    showroom_id: str,
    title: str,
    scheduled_at: datetime,
    playback_url: str,
    poster_url: str = "",
    created_by: str = "",
) -> LiveSession:
    title = " ".join(title.split())
    if not title or len(title) > 200:
        raise LiveError("a live session needs a title of at most 200 characters")
    live = LiveSession(
        showroom_id=showroom_id,
        title=title,
        scheduled_at=scheduled_at,
        playback_url=clean_url(playback_url, what="stream"),
        poster_url=clean_url(poster_url, what="poster"),
        created_by=created_by,
    )
    db_session.add(live)
    db_session.flush()
    return live


def get_session(*, db_session: Session, session_id: str) -> LiveSession | None:
    return db_session.get(LiveSession, session_id)


def list_sessions(*, db_session: Session, limit: int = 50) -> list[LiveSession]:
    return list(
        db_session.scalars(
            select(LiveSession).order_by(LiveSession.scheduled_at.desc()).limit(limit)
        )
    )


def start_session(*, db_session: Session, live: LiveSession) -> None:
    if live.state != SCHEDULED:
        raise LiveError("only a scheduled session can start")
    live.state, live.started_at = LIVE, utc_now()
    append_event(db_session=db_session, session_id=live.id, kind="state", data={"state": LIVE})


def end_session(*, db_session: Session, live: LiveSession, recording_url: str = "") -> None:
    if live.state != LIVE:
        raise LiveError("only a live session can end")
    now = utc_now()
    live.state, live.ended_at = ENDED, now
    live.recording_url = clean_url(recording_url, what="recording") or live.recording_url
    for pin in _active_pins(db_session, live.id):
        pin.unpinned_at = now
    data: dict[str, object] = {"state": ENDED, "recording_url": live.recording_url}
    append_event(db_session=db_session, session_id=live.id, kind="state", data=data)


def set_recording(*, db_session: Session, live: LiveSession, recording_url: str) -> None:
    live.recording_url = clean_url(recording_url, what="recording")
    db_session.flush()


# --- pins and deals ------------------------------------------------------------------------


def _active_pins(db_session: Session, session_id: str) -> list[LivePin]:
    return list(
        db_session.scalars(
            select(LivePin)
            .where(LivePin.session_id == session_id, LivePin.unpinned_at.is_(None))
            .order_by(LivePin.pinned_at, LivePin.id)
        )
    )


def pin_product(
    *, db_session: Session, live: LiveSession, product_id: str, carousel: bool = False
) -> LivePin:
    """Show a product on every viewer's card: alone, or added to a short carousel."""
    if live.state != LIVE:
        raise LiveError("pin products once the session is live")
    product = catalog.get_product(db_session=db_session, product_id=product_id)
    if product is None or not product.variants:
        raise LiveError("this product does not exist")
    active = _active_pins(db_session, live.id)
    now = utc_now()
    if not carousel:
        for pin in active:
            pin.unpinned_at = now
        active = []
    elif len(active) >= MAX_PINNED:
        raise LiveError(f"at most {MAX_PINNED} products can be pinned at once")
    pin = LivePin(
        session_id=live.id, product_id=product.id, variant_id=product.variants[0].id, pinned_at=now
    )
    db_session.add(pin)
    db_session.flush()
    _announce_pins(db_session, live)
    return pin


def unpin(*, db_session: Session, live: LiveSession, pin_id: str) -> None:
    pin = db_session.get(LivePin, pin_id)
    if pin is None or pin.session_id != live.id or pin.unpinned_at is not None:
        raise LiveError("this product is not pinned")
    pin.unpinned_at = utc_now()
    db_session.flush()
    _announce_pins(db_session, live)


def set_deal(
    *, db_session: Session, live: LiveSession, pin_id: str, terms: deal_rules.DealTerms
) -> LiveDeal:
    """A live-only price for a pinned product, for a limited quantity until an end time."""
    pin = db_session.get(LivePin, pin_id)
    if pin is None or pin.session_id != live.id or pin.unpinned_at is not None:
        raise LiveError("pin the product before giving it a live price")
    variant = catalog.get_variant(db_session=db_session, variant_id=pin.variant_id)
    if variant is None:
        raise LiveError("this product variant does not exist")
    try:
        deal_rules.check_terms(terms, regular_price_minor=variant.price_minor, now=utc_now())
    except deal_rules.DealRefused as refused:
        raise LiveError(str(refused)) from refused
    deal = LiveDeal(
        session_id=live.id,
        pin_id=pin.id,
        variant_id=variant.id,
        price_minor=terms.price_minor,
        currency=variant.currency,
        quantity=terms.quantity,
        remaining=terms.quantity,
        ends_at=terms.ends_at,
    )
    db_session.add(deal)
    db_session.flush()
    _announce_pins(db_session, live)
    return deal


def _deal_of(db_session: Session, pin_id: str) -> LiveDeal | None:
    return db_session.scalar(
        select(LiveDeal).where(LiveDeal.pin_id == pin_id).order_by(LiveDeal.created_at.desc())
    )


def _deal_data(deal: LiveDeal, live: bool) -> dict[str, object]:
    reason = deal_rules.unavailable_reason(
        remaining=deal.remaining, ends_at=deal.ends_at, session_live=live, now=utc_now()
    )
    return {
        "id": deal.id,
        "price": format_price(deal.price_minor, deal.currency),
        "price_minor": deal.price_minor,
        "currency": deal.currency,
        "quantity": deal.quantity,
        "remaining": deal.remaining,
        "ends_at": deal.ends_at.isoformat(),
        "unavailable": reason or "",
    }


def pinned_cards(*, db_session: Session, live: LiveSession) -> list[PinCard]:
    cards = []
    for pin in _active_pins(db_session, live.id):
        product = catalog.get_product(db_session=db_session, product_id=pin.product_id)
        variant = catalog.get_variant(db_session=db_session, variant_id=pin.variant_id)
        if product is None or variant is None:
            continue
        deal = _deal_of(db_session, pin.id)
        cards.append(
            PinCard(
                pin_id=pin.id,
                product_id=product.id,
                variant_id=variant.id,
                name=product.name,
                variant_label=variant.label,
                image_key=product.images[0].media_key if product.images else None,
                price=format_price(variant.price_minor, variant.currency),
                price_minor=variant.price_minor,
                currency=variant.currency,
                pinned_at=pin.pinned_at,
                deal=_deal_data(deal, live.state == LIVE) if deal else None,
                names={text.language: text.name for text in product.texts},
            )
        )
    return cards


def _announce_pins(db_session: Session, live: LiveSession) -> None:
    cards = [card.as_data() for card in pinned_cards(db_session=db_session, live=live)]
    append_event(db_session=db_session, session_id=live.id, kind="pins", data={"pins": cards})


def pin_timeline(
    *, db_session: Session, live: LiveSession, language: str | None = None
) -> list[tuple[LivePin, str, float]]:
    """Every pin of the session with its product name and its offset in the recording (s)."""
    pins = db_session.scalars(
        select(LivePin).where(LivePin.session_id == live.id).order_by(LivePin.pinned_at)
    )
    started = live.started_at
    timeline = []
    for pin in pins:
        product = catalog.get_product(db_session=db_session, product_id=pin.product_id)
        offset = (pin.pinned_at - started).total_seconds() if started else 0.0
        name = (
            (catalog.localized(product, language)[0] if language else product.name)
            if product
            else "?"
        )
        timeline.append((pin, name, max(0.0, offset)))
    return timeline

"""Special offers a cart line can carry (e.g. a live-shopping flash deal), behind one interface.

The checkout claims an offer's units in the same transaction as the order, so a limited offer
is never oversold; a cancelled order gives them back.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.orm import Session


class OfferUnavailable(ValueError):
    """The offer ended, sold out, or does not exist (the message is for the shopper)."""


class OfferDesk(Protocol):
    def price_of(self, *, db_session: Session, offer_ref: str, variant_id: str) -> int:
        """The offer's unit price in minor units, or OfferUnavailable."""
        ...

    def claim(self, *, db_session: Session, offer_ref: str, quantity: int) -> None:
        """Take `quantity` units of the offer atomically, or raise OfferUnavailable."""
        ...

    def release(self, *, db_session: Session, offer_ref: str, quantity: int) -> None:
        """Give back units claimed by an order that will not be paid."""
        ...


class NoOffers:
    """The desk of an installation without offers: every offer reference is unknown."""

    def price_of(self, *, db_session: Session, offer_ref: str, variant_id: str) -> int:
        raise OfferUnavailable("this offer does not exist")

    def claim(self, *, db_session: Session, offer_ref: str, quantity: int) -> None:
        raise OfferUnavailable("this offer does not exist")

    def release(self, *, db_session: Session, offer_ref: str, quantity: int) -> None:
        return None

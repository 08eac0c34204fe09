"""Special offers a cart line can carry (e.g. a live-shopping flash deal): the shared error.

The offer desk interface itself (OfferDesk, NoOffers) lives with the checkout in flows.py.
"""

from __future__ import annotations


class OfferUnavailable(ValueError):
    """The offer ended, sold out, or does not exist (the message is for the shopper)."""

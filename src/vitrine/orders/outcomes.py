"""What a checkout answers the shopper: the order's state, or why it cannot go ahead."""

from __future__ import annotations

from dataclasses import dataclass

from vitrine.i18n.translator import N_


class CheckoutRefused(ValueError):
    """The checkout cannot go ahead (the message is for the shopper; the cart is kept)."""


@dataclass(frozen=True)
class CheckoutOutcome:
    tracking_token: str
    state: str
    paid: bool
    message: str = ""
    replayed: bool = False


CONFIRMING = N_(
    "Your payment is being confirmed: your order page shows the outcome in a few minutes."
)

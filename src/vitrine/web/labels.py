"""Shopper-facing names of order states and of who moved an order (translated where shown)."""

from __future__ import annotations

from vitrine.i18n.translator import N_

STATE_LABELS = {
    "placed": N_("Placed"),
    "paid": N_("Paid"),
    "packed": N_("Packed"),
    "shipped": N_("Shipped"),
    "delivered": N_("Delivered"),
    "ready_for_pickup": N_("Ready for pickup"),
    "picked_up": N_("Picked up"),
    "cancelled": N_("Cancelled"),
    "refunded": N_("Refunded"),
    "returned_to_sender": N_("Returned to sender"),
}
# Who moved the order, by the actor's prefix ("payment:sandbox", "operator:ann@shop.fr").
ACTOR_LABELS = {
    "shopper": N_("you"),
    "payment": N_("payment"),
    "checkout": N_("checkout"),
    "locker": N_("locker"),
    "courier": N_("courier"),
    "operator": N_("shop"),
    "housekeeping": N_("automatic"),
}


def actor_label(actor: str) -> str:
    return ACTOR_LABELS.get(actor.partition(":")[0], N_("shop"))


# What the order page says about a locker parcel, by the parcel's state.
LOCKER_STATUS = {
    "reserved": N_("A compartment is held at %(site)s until payment."),
    "awaiting_delivery": N_("On its way to the %(site)s locker."),
    "deposited": N_("Ready for pickup at the %(site)s locker."),
    "collected": N_("Picked up at the %(site)s locker."),
    "return_to_sender": N_("Not picked up in time: returned to sender."),
    "returned": N_("Not picked up in time: returned to sender."),
    "cancelled": N_("Locker reservation cancelled."),
}

# What the locker kiosk says when it refuses a code, by the refusal's kind.
PICKUP_PROBLEMS = {
    "malformed": N_("A pickup code has 10 digits."),
    "wrong_code": N_("Wrong code: check the digits in your message."),
    "expired": N_("This code has expired: the parcel goes back to the sender."),
    "already_used": N_("This code was already used: the compartment was opened."),
    "too_many_attempts": N_(
        "Too many wrong codes: scan the QR code in your message, or try again in %(seconds)s s."
    ),
    "bad_token": N_("This QR code does not open anything here: type the code from your message."),
}

# Page errors a shopper can meet, translated on the error page.
HTTP_ERRORS = [
    N_("Not Found"),
    N_("Method Not Allowed"),
    N_("This showroom does not exist."),
    N_("This product does not exist."),
    N_("This shelf tag is unknown."),
    N_("No order has this link."),
    N_("This locker does not exist."),
    N_("no such live session"),
    N_("the form expired or was forged; reload it"),
    # why a live deal cannot be bought (vitrine.live.deals)
    N_("the deal has ended"),
    N_("the deal is sold out"),
]

"""Every message the shop sends, one function per message, each taking the shopper's language.

The texts are English message ids translated by `_text` through the gettext catalogs;
`render` builds a message from what the outbox stored: its kind, language and parameters
(secrets among them unsealed only at send time). Links are made absolute from the public URL.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from vitrine.i18n.translator import N_, translator

QR_CONTENT_ID = "pickup-qr"
MASK = "•" * 10  # stands for a secret in previews (the operator's outbox, the order page)


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    html: str
    qr: str | None = None  # what the inline QR image encodes (email: <img src="cid:pickup-qr">)


def _text(language: str, message_id: str, **values: object) -> str:
    """The message in `language` from the gettext catalogs (English if it has no translation),
    values filled in. Extraction finds the ids: `pybabel extract ... -k _text:2`."""
    return translator(language).t(message_id).format(**values)


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _compose(
    language: str,
    subject: str,
    paragraphs: list[str],
    link: str | None = None,
    qr: str | None = None,
) -> Message:
    """Text and HTML parts from the same paragraphs (the HTML escapes every value)."""
    lines = list(paragraphs)
    parts = [f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs]
    if qr is not None:
        parts.append(f'<p><img src="cid:{QR_CONTENT_ID}" alt="QR" width="240" height="240"></p>')
    if link:
        lines.append(_text(language, "Follow your order: {link}", link=link))
        anchor = f'<a href="{html.escape(link)}">{html.escape(link)}</a>'
        parts.append(f"<p>{_text(language, 'Follow your order: {link}', link=anchor)}</p>")
    return Message(subject, "\n\n".join(lines), "\n".join(parts), qr)


def order_confirmed(language: str, *, lines: list[str], link: str | None = None) -> Message:
    intro = _text(language, "Thank you! We have your order:")
    return _compose(
        language,
        _text(language, "Your Vitrine order is confirmed"),
        [intro + "\n" + "\n".join(f"- {line}" for line in lines)],
        link,
    )


ORDER_STATE_TEXTS = {
    "shipped": (N_("Your Vitrine order is on its way"), N_("It left our warehouse today.")),
    "delivered": (N_("Your Vitrine order was delivered"), N_("We hope you like it.")),
    "refunded": (
        N_("Your Vitrine order was refunded"),
        N_("The full amount goes back to your card."),
    ),
}


def order_moved(language: str, *, state: str, link: str | None = None) -> Message:
    subject, body = ORDER_STATE_TEXTS[state]
    return _compose(
        language,
        _text(language, subject),
        [_text(language, body)],
        link,
    )


def ready_for_pickup(
    language: str,
    *,
    site: str,
    address: str,
    code: str,
    qr: str | None,
    expires_at: datetime,
    moved_from: str | None,
    link: str | None = None,
) -> Message:
    paragraphs = [
        _text(
            language,
            "Your parcel is ready at the {site} locker ({address}).",
            site=site,
            address=address,
        ),
        _text(language, "Pickup code: {code}", code=code),
        _text(
            language,
            "Type it on the locker screen or show the QR code. It works once, until {when}; "
            "after that the parcel goes back to the sender.",
            when=_when(expires_at),
        ),
    ]
    if moved_from:
        moved = N_("{moved_from} was full, so your parcel went to {site}.")
        paragraphs.insert(0, _text(language, moved, moved_from=moved_from, site=site))
    subject = _text(language, "Your parcel is ready at {site}", site=site)
    return _compose(language, subject, paragraphs, link, qr)


def moved_to_other_site(
    language: str, *, from_site: str, site: str, address: str, km: float, link: str | None = None
) -> Message:
    body = _text(
        language,
        "The {from_site} locker is full, so your parcel is being delivered to the {site} locker "
        "instead ({address}, {km} km away). We will send your pickup code when it is there.",
        from_site=from_site,
        site=site,
        address=address,
        km=f"{km:.1f}",
    )
    subject = _text(language, "Your parcel goes to {site}", site=site)
    return _compose(language, subject, [body], link)


def pickup_reminder(
    language: str, *, site: str, expires_at: datetime, link: str | None = None
) -> Message:
    body = _text(
        language,
        "Your parcel is still waiting at the {site} locker. Pick it up before {when} with the "
        "code we sent you; after that it goes back to the sender.",
        site=site,
        when=_when(expires_at),
    )
    subject = _text(language, "Reminder: your parcel at {site}", site=site)
    return _compose(language, subject, [body], link)


def returned_to_sender(language: str, *, site: str, link: str | None = None) -> Message:
    body = _text(
        language,
        "Your parcel was not picked up in time at the {site} locker and goes back to the "
        "sender. Its pickup code no longer works.",
        site=site,
    )
    subject = _text(language, "Your parcel goes back to the sender")
    return _compose(language, subject, [body], link)


def sign_in_code(language: str, *, code: str, minutes: int) -> Message:
    body = _text(
        language,
        "Your code is {code}. It works once, for {minutes} minutes.",
        code=code,
        minutes=minutes,
    )
    return _compose(language, _text(language, "Your Vitrine sign-in code"), [body])


def sending_test(language: str) -> Message:
    body = _text(language, "If you read this, Vitrine can send email.")
    return _compose(language, _text(language, "A test message from Vitrine"), [body])


KINDS: dict[str, Callable[..., Message]] = {
    "order_confirmed": order_confirmed,
    "order_moved": order_moved,
    "ready_for_pickup": ready_for_pickup,
    "moved_to_other_site": moved_to_other_site,
    "pickup_reminder": pickup_reminder,
    "returned_to_sender": returned_to_sender,
    "sign_in_code": sign_in_code,
}


def render(kind: str, language: str, params: Mapping[str, object], public_url: str) -> Message:
    """The message of `kind` from stored parameters: `path` becomes an absolute `link`,
    `*_at` ISO strings become datetimes."""
    values = dict(params)
    path = values.pop("path", None)
    if path is not None:
        values["link"] = public_url.rstrip("/") + str(path)
    for key, value in list(values.items()):
        if key.endswith("_at") and isinstance(value, str):
            values[key] = datetime.fromisoformat(value)
    return KINDS[kind](language, **values)

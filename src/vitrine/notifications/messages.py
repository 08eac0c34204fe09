"""Every message the shop sends, one function per message, each taking the shopper's language.

The texts are English message ids looked up by `_text` (the one place to wrap with gettext);
`render` builds a message from what the outbox stored: its kind, language and parameters
(secrets among them unsealed only at send time). Links are made absolute from the public URL.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

QR_CONTENT_ID = "pickup-qr"
MASK = "•" * 10  # stands for a secret in previews (the operator's outbox, the order page)


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    html: str
    qr: str | None = None  # what the inline QR image encodes (email: <img src="cid:pickup-qr">)


# fr and zh until the gettext catalogs land; missing entries fall back to English.
_CATALOG: dict[str, dict[str, str]] = {
    "fr": {
        "Your Vitrine order is confirmed": "Votre commande Vitrine est confirmée",
        "Thank you! We have your order:": "Merci ! Nous avons bien reçu votre commande :",
        "Follow your order: {link}": "Suivez votre commande : {link}",
        "Your Vitrine order is on its way": "Votre commande Vitrine est en route",
        "It left our warehouse today.": "Elle a quitté notre entrepôt aujourd'hui.",
        "Your Vitrine order was delivered": "Votre commande Vitrine a été livrée",
        "We hope you like it.": "Nous espérons qu'elle vous plaira.",
        "Your Vitrine order was refunded": "Votre commande Vitrine a été remboursée",
        "The full amount goes back to your card.": (
            "Le montant total est recrédité sur votre carte."
        ),
        "Your parcel is ready at {site}": "Votre colis est prêt à {site}",
        "{moved_from} was full, so your parcel went to {site}.": (
            "{moved_from} était plein : votre colis est allé à {site}."
        ),
        "Your parcel is ready at the {site} locker ({address}).": (
            "Votre colis est prêt à la consigne {site} ({address})."
        ),
        "Pickup code: {code}": "Code de retrait : {code}",
        "Type it on the locker screen or show the QR code. It works once, until {when}; after "
        "that the parcel goes back to the sender.": (
            "Tapez-le sur l'écran de la consigne ou montrez le QR code. Il sert une fois, "
            "jusqu'au {when} ; ensuite le colis retourne à l'expéditeur."
        ),
        "Your parcel goes to {site}": "Votre colis va à {site}",
        "The {from_site} locker is full, so your parcel is being delivered to the {site} locker "
        "instead ({address}, {km} km away). We will send your pickup code when it is there.": (
            "La consigne {from_site} est pleine : votre colis est livré à la consigne {site} "
            "({address}, à {km} km). Nous vous enverrons le code de retrait à son arrivée."
        ),
        "Reminder: your parcel at {site}": "Rappel : votre colis à {site}",
        "Your parcel is still waiting at the {site} locker. Pick it up before {when} with the "
        "code we sent you; after that it goes back to the sender.": (
            "Votre colis vous attend toujours à la consigne {site}. Retirez-le avant le {when} "
            "avec le code envoyé ; ensuite il retourne à l'expéditeur."
        ),
        "Your parcel goes back to the sender": "Votre colis retourne à l'expéditeur",
        "Your parcel was not picked up in time at the {site} locker and goes back to the "
        "sender. Its pickup code no longer works.": (
            "Votre colis n'a pas été retiré à temps à la consigne {site} et retourne à "
            "l'expéditeur. Son code de retrait ne fonctionne plus."
        ),
        "Your Vitrine sign-in code": "Votre code de connexion Vitrine",
        "Your code is {code}. It works once, for {minutes} minutes.": (
            "Votre code est {code}. Il sert une fois, pendant {minutes} minutes."
        ),
        "A test message from Vitrine": "Un message de test de Vitrine",
        "If you read this, Vitrine can send email.": (
            "Si vous lisez ceci, Vitrine sait envoyer des e-mails."
        ),
    },
    "zh": {
        "Your Vitrine order is confirmed": "您的 Vitrine 订单已确认",
        "Thank you! We have your order:": "谢谢！我们已收到您的订单：",
        "Follow your order: {link}": "查看订单：{link}",
        "Your Vitrine order is on its way": "您的 Vitrine 订单已发货",
        "It left our warehouse today.": "今天已从仓库发出。",
        "Your Vitrine order was delivered": "您的 Vitrine 订单已送达",
        "We hope you like it.": "希望您喜欢。",
        "Your Vitrine order was refunded": "您的 Vitrine 订单已退款",
        "The full amount goes back to your card.": "全部金额将退回您的银行卡。",
        "Your parcel is ready at {site}": "您的包裹已到 {site}",
        "{moved_from} was full, so your parcel went to {site}.": (
            "{moved_from} 已满，您的包裹已送至 {site}。"
        ),
        "Your parcel is ready at the {site} locker ({address}).": (
            "您的包裹已放入 {site} 自提柜（{address}）。"
        ),
        "Pickup code: {code}": "取件码：{code}",
        "Type it on the locker screen or show the QR code. It works once, until {when}; after "
        "that the parcel goes back to the sender.": (
            "请在自提柜屏幕上输入取件码或出示二维码。取件码仅可使用一次，有效期至 {when}；"
            "逾期包裹将退回寄件人。"
        ),
        "Your parcel goes to {site}": "您的包裹将送至 {site}",
        "The {from_site} locker is full, so your parcel is being delivered to the {site} locker "
        "instead ({address}, {km} km away). We will send your pickup code when it is there.": (
            "{from_site} 自提柜已满，您的包裹改送至 {site} 自提柜（{address}，相距 {km} 公里）。"
            "包裹到达后我们会发送取件码。"
        ),
        "Reminder: your parcel at {site}": "提醒：您在 {site} 的包裹",
        "Your parcel is still waiting at the {site} locker. Pick it up before {when} with the "
        "code we sent you; after that it goes back to the sender.": (
            "您的包裹仍在 {site} 自提柜等候。请在 {when} 之前凭取件码取件；逾期将退回寄件人。"
        ),
        "Your parcel goes back to the sender": "您的包裹将退回寄件人",
        "Your parcel was not picked up in time at the {site} locker and goes back to the "
        "sender. Its pickup code no longer works.": (
            "您的包裹未在 {site} 自提柜按时取出，将退回寄件人。取件码已失效。"
        ),
        "Your Vitrine sign-in code": "您的 Vitrine 登录验证码",
        "Your code is {code}. It works once, for {minutes} minutes.": (
            "您的验证码是 {code}，仅可使用一次，{minutes} 分钟内有效。"
        ),
        "A test message from Vitrine": "Vitrine 测试消息",
        "If you read this, Vitrine can send email.": "如果您看到这条消息，Vitrine 可以发送邮件。",
    },
}


def _text(language: str, message_id: str, **values: object) -> str:
    """The message in `language` (English if it has no translation), values filled in."""
    return _CATALOG.get(language, {}).get(message_id, message_id).format(**values)


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
    "shipped": ("Your Vitrine order is on its way", "It left our warehouse today."),
    "delivered": ("Your Vitrine order was delivered", "We hope you like it."),
    "refunded": ("Your Vitrine order was refunded", "The full amount goes back to your card."),
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
        moved = "{moved_from} was full, so your parcel went to {site}."
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

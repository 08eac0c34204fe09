"""The shopper's request context (language, display currency, cart, visitor) and page rendering."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import Response
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from vitrine.catalog import rates
from vitrine.catalog import service as catalog
from vitrine.orders import service as orders
from vitrine.web.dependencies import get_installation
from vitrine.web.i18n import LANGUAGE_COOKIE, LANGUAGE_NAMES, negotiate, translator
from vitrine.web.labels import STATE_LABELS, actor_label
from vitrine.web.pages.templating import templates
from vitrine.web.security import form_csrf_token

CART_COOKIE = "vitrine_cart"
SHOPPER_COOKIE = "vitrine_shopper"
SHOPPER_MAX_AGE = 30 * 24 * 3600
CURRENCY_COOKIE = "vitrine_currency"
SHOWROOM_COOKIE = "vitrine_showroom"
DISPLAY_CURRENCIES = ("EUR", "CNY", "USD", "GBP")
ONE_YEAR = 365 * 24 * 3600


@dataclass
class Shopper:
    language: str
    display_currency: str
    cart_id: str | None
    visitor: str
    showroom_slug: str | None
    rates: dict[str, Decimal]
    owner: str | None = None  # the signed-in shopper's email

    def t(self, message: str, **values: object) -> str:
        """`message` (English source text, `%(name)s` placeholders) in the shopper's language."""
        return translator(self.language).t(message, **values)

    def ngettext(self, singular: str, plural: str, count: int, **values: object) -> str:
        return translator(self.language).ngettext(singular, plural, count, **values)

    def price(self, price_minor: int, currency: str) -> str:
        """The price as the shopper's language writes it (`1,99 €` in French)."""
        return translator(self.language).price(price_minor, currency)

    def converted(self, price_minor: int, currency: str) -> str | None:
        """The price in the shopper's display currency ("≈ ¥15.50"), None when it is the same."""
        quote = self.display_currency
        if quote == currency or quote not in self.rates:
            return None
        shown = rates.convert(price_minor, currency, quote, self.rates[quote])
        return "≈ " + self.price(shown, quote)

    def priced(self, price_minor: int, currency: str) -> str:
        """The price, followed by its display-currency conversion when the shopper chose one."""
        converted = self.converted(price_minor, currency)
        shown = self.price(price_minor, currency)
        return f"{shown} ({converted})" if converted else shown

    def when(self, moment: datetime) -> str:
        return translator(self.language).datetime(moment)


def shopper_of(request: Request, db_session: Session) -> Shopper:
    settings = get_installation(request).settings
    currency = request.cookies.get(CURRENCY_COOKIE, settings.currency)
    return Shopper(
        language=negotiate(
            request.cookies.get(LANGUAGE_COOKIE),
            request.headers.get("accept-language"),
            settings.languages,
        ),
        display_currency=currency if currency in DISPLAY_CURRENCIES else settings.currency,
        cart_id=request.cookies.get(CART_COOKIE),
        visitor=getattr(request.state, "visitor", ""),
        showroom_slug=request.cookies.get(SHOWROOM_COOKIE),
        rates=catalog.rates_from(db_session=db_session, base=settings.currency),
        owner=signed_in_shopper(settings.secret_key, request.cookies.get(SHOPPER_COOKIE)),
    )


def _shopper_serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt="vitrine.shopper")


def shopper_cookie(secret_key: str, owner: str) -> str:
    return _shopper_serializer(secret_key).dumps(owner)


def signed_in_shopper(secret_key: str, cookie: str | None) -> str | None:
    if not cookie:
        return None
    try:
        owner = _shopper_serializer(secret_key).loads(cookie, max_age=SHOPPER_MAX_AGE)
    except (BadSignature, SignatureExpired):
        return None
    return str(owner)


def render(
    request: Request,
    db_session: Session,
    shopper: Shopper,
    template: str,
    context: dict[str, Any],
    status_code: int = 200,
) -> Response:
    cart = orders.get_cart(db_session=db_session, cart_id=shopper.cart_id)
    full: dict[str, Any] = {
        "shopper": shopper,
        "t": shopper.t,
        "ngettext": shopper.ngettext,
        "language_names": LANGUAGE_NAMES,
        "lang": shopper.language,
        "languages": get_installation(request).settings.languages,
        "currencies": DISPLAY_CURRENCIES,
        "cart_count": orders.view_cart(db_session=db_session, cart=cart).count,
        "csrf_token": form_csrf_token(request),
        "back_url": back_url(request),
        "state_labels": STATE_LABELS,
        "actor_label": actor_label,
        **context,
    }
    return templates.TemplateResponse(request, template, full, status_code=status_code)


def back_url(request: Request) -> str:
    """Where the language / currency switch returns: this page, or for a page that answered a
    POST (which a GET cannot repeat) the page the form was on."""
    if request.method == "GET":
        query = f"?{request.url.query}" if request.url.query else ""
        return f"{request.url.path}{query}"
    referer = urlsplit(request.headers.get("referer", ""))
    same_site = referer.netloc in ("", request.url.netloc)
    if same_site and referer.path.startswith("/") and not referer.path.startswith("//"):
        return referer.path + (f"?{referer.query}" if referer.query else "")
    return "/"


def remember(response: Response, name: str, value: str) -> None:
    response.set_cookie(name, value, max_age=ONE_YEAR, httponly=True, samesite="lax")


Renderer = Callable[..., Response]

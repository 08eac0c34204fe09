"""The shopper's request context (language, display currency, cart, visitor) and page rendering."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from vitrine.catalog import rates
from vitrine.catalog import service as catalog
from vitrine.catalog.money import format_price
from vitrine.orders import service as orders
from vitrine.web.dependencies import get_installation
from vitrine.web.i18n import LANGUAGE_COOKIE, negotiate, translate
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

    def t(self, key: str, **values: object) -> str:
        return translate(self.language, key, **values)

    def price(self, price_minor: int, currency: str) -> str:
        return format_price(price_minor, currency)

    def converted(self, price_minor: int, currency: str) -> str | None:
        return rates.display_price(price_minor, currency, self.display_currency, self.rates)


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
        "lang": shopper.language,
        "languages": get_installation(request).settings.languages,
        "currencies": DISPLAY_CURRENCIES,
        "cart_count": orders.view_cart(db_session=db_session, cart=cart).count,
        "csrf_token": form_csrf_token(request),
        **context,
    }
    return templates.TemplateResponse(request, template, full, status_code=status_code)


def remember(response: Response, name: str, value: str) -> None:
    response.set_cookie(name, value, max_age=ONE_YEAR, httponly=True, samesite="lax")


Renderer = Callable[..., Response]

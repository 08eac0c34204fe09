"""Cart and checkout pages: add, change and remove lines; contact, delivery and payment."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from vitrine.catalog import service as catalog
from vitrine.lockers import site_service as lockers
from vitrine.orders import service as orders
from vitrine.orders.contact import CheckoutDetails, InvalidDetails
from vitrine.orders.flows import CheckoutRefused, CheckoutRequest, checkout
from vitrine.orders.payments import CardDetails
from vitrine.orders.postcodes import centre_of
from vitrine.orders.states import PLACED
from vitrine.showrooms import service as showrooms
from vitrine.web.dependencies import InstallationDep, SessionDep
from vitrine.web.security import check_csrf
from vitrine.web.shopper import CART_COOKIE, Shopper, remember, render, shopper_of
from vitrine.web.wiring import checkout_desk, event_recorder

router = APIRouter(include_in_schema=False)
DEFAULT_CENTRE = (48.8625, 2.3464)  # Les Halles, when the shopper gives no postcode


def _cart_page(
    request: Request,
    db_session: SessionDep,
    shopper: Shopper,
    error: str = "",
    status_code: int = 200,
) -> Response:
    cart = orders.get_cart(db_session=db_session, cart_id=shopper.cart_id)
    view = orders.view_cart(db_session=db_session, cart=cart, language=shopper.language)
    return render(
        request,
        db_session,
        shopper,
        "cart.html",
        {"cart": view, "error": error, "title": shopper.t("Your cart")},
        status_code=status_code,
    )


@router.get("/cart", response_class=HTMLResponse)
def cart_page(request: Request, db_session: SessionDep) -> Response:
    return _cart_page(request, db_session, shopper_of(request, db_session))


@router.post("/cart/lines")
def add_line(
    request: Request,
    db_session: SessionDep,
    variant_id: Annotated[str, Form(max_length=64)],
    quantity: Annotated[int, Form(ge=-1000, le=1000)] = 1,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf_token)
    shopper = shopper_of(request, db_session)
    showroom = None
    if shopper.showroom_slug:
        showroom = showrooms.get_showroom_by_slug(db_session=db_session, slug=shopper.showroom_slug)
    cart = orders.open_cart(
        db_session=db_session,
        cart_id=shopper.cart_id,
        showroom_id=showroom.id if showroom else None,
    )
    if shopper.owner:
        cart.owner = shopper.owner  # a signed-in shopper's cart follows them
    try:
        orders.add_to_cart(
            db_session=db_session, cart=cart, variant_id=variant_id, quantity=quantity
        )
    except orders.CartError as error:
        db_session.rollback()
        return _cart_page(
            request, db_session, shopper, shopper.t(error.message, **error.values), 409
        )
    db_session.commit()
    variant = catalog.get_variant(db_session=db_session, variant_id=variant_id)
    event_recorder(request).record(
        "add_to_cart",
        showroom_id=showroom.id if showroom else None,
        product_id=variant.product_id if variant else None,
        visitor=shopper.visitor,
    )
    response = RedirectResponse("/cart", status_code=303)
    remember(response, CART_COOKIE, cart.id)
    return response


@router.post("/cart/lines/{line_id}")
def change_line(
    line_id: str,
    request: Request,
    db_session: SessionDep,
    quantity: Annotated[int, Form(ge=-1000, le=1000)] = 0,
    remove: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf_token)
    shopper = shopper_of(request, db_session)
    cart = orders.get_cart(db_session=db_session, cart_id=shopper.cart_id)
    line = next((ln for ln in cart.lines if ln.id == line_id), None) if cart else None
    if cart is None or line is None:
        return _cart_page(
            request, db_session, shopper, shopper.t("this line is no longer in your cart"), 404
        )
    try:
        if remove:
            orders.remove_line(db_session=db_session, cart=cart, line_id=line_id)
        else:
            orders.set_line_quantity(
                db_session=db_session, cart=cart, line_id=line_id, quantity=quantity
            )
    except orders.CartError as error:
        db_session.rollback()
        return _cart_page(
            request, db_session, shopper, shopper.t(error.message, **error.values), 409
        )
    db_session.commit()
    return RedirectResponse("/cart", status_code=303)


def _locker_choices(
    db_session: SessionDep, postcode: str, latitude: float | None, longitude: float | None
) -> list[Any]:
    centre = (latitude, longitude) if latitude is not None and longitude is not None else None
    centre = centre or centre_of(postcode) or DEFAULT_CENTRE
    return lockers.nearest_sites(
        db_session=db_session, latitude=centre[0], longitude=centre[1], limit=8
    )


def _checkout_page(
    request: Request,
    db_session: SessionDep,
    shopper: Shopper,
    form: dict[str, str],
    problems: dict[str, str],
    message: str,
    status_code: int,
    latitude: float | None = None,
    longitude: float | None = None,
) -> Response:
    cart = orders.get_cart(db_session=db_session, cart_id=shopper.cart_id)
    view = orders.view_cart(db_session=db_session, cart=cart, language=shopper.language)
    if not view.items:
        return RedirectResponse("/cart", status_code=303)
    sites = _locker_choices(db_session, form.get("postcode", ""), latitude, longitude)
    return render(
        request,
        db_session,
        shopper,
        "checkout.html",
        {
            "cart": view,
            "form": form,
            "problems": problems,
            "message": message,
            "sites": sites,
            "idempotency_key": form.get("idempotency_key") or secrets.token_urlsafe(24),
            "title": shopper.t("Checkout"),
        },
        status_code=status_code,
    )


@router.get("/checkout", response_class=HTMLResponse)
def checkout_page(
    request: Request,
    db_session: SessionDep,
    postcode: Annotated[str, Query(max_length=16)] = "",
    lat: Annotated[float | None, Query(ge=-90, le=90)] = None,
    lon: Annotated[float | None, Query(ge=-180, le=180)] = None,
) -> Response:
    shopper = shopper_of(request, db_session)
    form = {"postcode": postcode, "delivery_method": "locker" if postcode or lat else "home"}
    return _checkout_page(request, db_session, shopper, form, {}, "", 200, lat, lon)


def _details(form: dict[str, str]) -> CheckoutDetails:
    return CheckoutDetails(
        email=form.get("email", ""),
        phone=form.get("phone", ""),
        delivery_method=form.get("delivery_method", ""),
        recipient_name=form.get("recipient_name", ""),
        address_line=form.get("address_line", ""),
        postcode=form.get("postcode", ""),
        city=form.get("city", ""),
        locker_site_id=form.get("locker_site_id", "")
        if form.get("delivery_method") == "locker"
        else "",
    )


def _card(form: dict[str, str]) -> CardDetails:
    month, _, year = form.get("expiry", "").partition("/")
    try:
        expiry_month, expiry_year = int(month), 2000 + int(year) % 100
    except ValueError:
        expiry_month, expiry_year = 0, 0
    return CardDetails(form.get("card_number", ""), expiry_month, expiry_year, form.get("cvc", ""))


FORM_FIELDS = (
    "email",
    "phone",
    "delivery_method",
    "recipient_name",
    "address_line",
    "postcode",
    "city",
    "locker_site_id",
    "card_number",
    "expiry",
    "cvc",
    "idempotency_key",
)


@router.post("/checkout")
async def submit_checkout(
    request: Request, db_session: SessionDep, installation: InstallationDep
) -> Response:
    raw = await request.form()
    check_csrf(request, str(raw.get("csrf_token", "")))
    form = {name: str(raw.get(name, ""))[:300] for name in FORM_FIELDS}
    # The database and the payment gateway are waited on in the thread pool, never on the loop.
    return await run_in_threadpool(_checkout_submitted, request, db_session, installation, form)


def _checkout_submitted(
    request: Request, db_session: SessionDep, installation: InstallationDep, form: dict[str, str]
) -> Response:
    shopper = shopper_of(request, db_session)
    cart = orders.get_cart(db_session=db_session, cart_id=shopper.cart_id)
    checkout_request = CheckoutRequest(
        cart_id=shopper.cart_id or "",
        details=_details(form),
        card=_card(form),
        idempotency_key=form["idempotency_key"],
        showroom_id=cart.showroom_id if cart else None,
        language=shopper.language,
    )
    db_session.close()
    event_recorder(request).record(
        "checkout",
        showroom_id=checkout_request.showroom_id,
        visitor=shopper.visitor,
        detail={"delivery": form["delivery_method"]},
    )
    try:
        outcome = checkout(desk=checkout_desk(request), request=checkout_request)
    except InvalidDetails as invalid:
        return _checkout_page(
            request,
            db_session,
            shopper,
            form,
            invalid.problems,
            shopper.t("Please correct the fields marked below."),
            400,
        )
    except CheckoutRefused as refused:
        return _checkout_page(request, db_session, shopper, form, {}, shopper.t(str(refused)), 409)
    if not outcome.replayed:
        event_recorder(request).record(
            "payment",
            showroom_id=checkout_request.showroom_id,
            visitor=shopper.visitor,
            detail={"paid": outcome.paid, "state": outcome.state},
        )
    # A placed order whose payment is not confirmed yet is shown on its page, never re-paid.
    if not outcome.paid and not outcome.replayed and outcome.state != PLACED:
        form["idempotency_key"] = ""  # a new attempt is a new checkout
        message = shopper.t(
            "The payment did not go through: %(reason)s Your cart is kept; try another card.",
            reason=shopper.t(outcome.message),
        )
        return _checkout_page(request, db_session, shopper, form, {}, message, 402)
    event_recorder(request).record(
        "order",
        showroom_id=checkout_request.showroom_id,
        visitor=shopper.visitor,
        detail={"state": outcome.state},
    )
    return RedirectResponse(f"/orders/{outcome.tracking_token}", status_code=303)

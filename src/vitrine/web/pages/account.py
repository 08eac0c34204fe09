"""Shopper sign-in with a one-time code by email: the cart follows the shopper, merged."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from vitrine.orders import service as orders
from vitrine.shoppers.service import SignInRefused, check_code, send_code
from vitrine.throttling import rules
from vitrine.web.dependencies import InstallationDep, SessionDep
from vitrine.web.limits import browser_of, client_address, over_limit
from vitrine.web.security import check_csrf
from vitrine.web.shopper import (
    CART_COOKIE,
    SHOPPER_COOKIE,
    SHOPPER_MAX_AGE,
    remember,
    render,
    shopper_cookie,
    shopper_of,
)

router = APIRouter(include_in_schema=False)


def _page(
    request: Request,
    db_session: SessionDep,
    step: str,
    email: str = "",
    error: str = "",
    status: int = 200,
) -> Response:
    shopper = shopper_of(request, db_session)
    context = {"title": shopper.t("Your account"), "step": step, "email": email, "error": error}
    return render(request, db_session, shopper, "account.html", context, status_code=status)


@router.get("/account", response_class=HTMLResponse)
def account_page(request: Request, db_session: SessionDep) -> Response:
    return _page(request, db_session, "email")


@router.post("/account/code")
def ask_for_code(
    request: Request,
    db_session: SessionDep,
    installation: InstallationDep,
    email: Annotated[str, Form(max_length=254)],
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf_token)
    wait = over_limit(
        request,
        (rules.SIGN_IN_CODES_PER_BROWSER, browser_of(request)),
        (rules.SIGN_IN_CODES_PER_ADDRESS, client_address(request)),
    )
    if wait:
        return _page(
            request,
            db_session,
            "email",
            email,
            "too many codes asked from here; wait a few minutes",
            429,
        )
    try:
        send_code(
            db_session=db_session,
            secret_key=installation.settings.secret_key,
            email=email,
            language=shopper_of(request, db_session).language,
        )
    except SignInRefused as refused:
        return _page(request, db_session, "email", email, str(refused), 400)
    db_session.commit()
    return _page(request, db_session, "code", email.strip().lower())


@router.post("/account/sign-in")
def sign_in(
    request: Request,
    db_session: SessionDep,
    installation: InstallationDep,
    email: Annotated[str, Form(max_length=254)],
    code: Annotated[str, Form(max_length=12)],
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf_token)
    if over_limit(request, (rules.SIGN_IN_CHECKS_PER_ADDRESS, client_address(request))):
        return _page(request, db_session, "code", email, "too many codes tried from here", 429)
    secret_key = installation.settings.secret_key
    try:
        owner = check_code(db_session=db_session, secret_key=secret_key, email=email, code=code)
    except SignInRefused as refused:
        db_session.commit()  # keep the failed attempt
        return _page(request, db_session, "code", email, str(refused), 401)
    cart = orders.claim_cart(
        db_session=db_session, cart_id=request.cookies.get(CART_COOKIE), owner=owner
    )
    db_session.commit()
    response = RedirectResponse("/cart", status_code=303)
    remember(response, CART_COOKIE, cart.id)
    response.set_cookie(
        SHOPPER_COOKIE,
        shopper_cookie(secret_key, owner),
        max_age=SHOPPER_MAX_AGE,
        httponly=True,
        samesite="lax",
    )
    return response


@router.post("/account/sign-out")
def sign_out(request: Request, csrf_token: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf_token)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SHOPPER_COOKIE)
    response.delete_cookie(CART_COOKIE)
    return response

"""Shopper pages: showroom landing, text search, QR tag landing, product page, preferences."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from vitrine.catalog import service as catalog
from vitrine.catalog import stock_service as stock
from vitrine.catalog.service import localized
from vitrine.showrooms import service as showrooms
from vitrine.showrooms.models import Showroom
from vitrine.throttling import rules
from vitrine.web.dependencies import SessionDep, get_installation
from vitrine.web.i18n import LANGUAGE_COOKIE, available_languages
from vitrine.web.limits import browser_of, client_address, over_limit
from vitrine.web.pages.photo_search import MatchedPhoto
from vitrine.web.presenters import product_read
from vitrine.web.security import check_csrf
from vitrine.web.shopper import (
    CURRENCY_COOKIE,
    DISPLAY_CURRENCIES,
    SHOWROOM_COOKIE,
    remember,
    render,
    shopper_of,
)
from vitrine.web.wiring import event_recorder

router = APIRouter(include_in_schema=False)


@router.get("/")
def home(request: Request, db_session: SessionDep) -> Response:
    all_showrooms = showrooms.list_showrooms(db_session=db_session)
    if len(all_showrooms) == 1:
        return RedirectResponse(url=f"/s/{all_showrooms[0].slug}", status_code=302)
    shopper = shopper_of(request, db_session)
    context = {"showrooms": all_showrooms, "title": shopper.t("Showrooms")}
    return render(request, db_session, shopper, "home.html", context)


def _showroom(db_session: SessionDep, slug: str) -> Showroom:
    showroom = showrooms.get_showroom_by_slug(db_session=db_session, slug=slug)
    if showroom is None:
        raise HTTPException(status_code=404, detail="This showroom does not exist.")
    return showroom


@router.get("/s/{slug}", response_class=HTMLResponse)
def showroom_page(slug: str, request: Request, db_session: SessionDep) -> Response:
    showroom = _showroom(db_session, slug)
    shopper = shopper_of(request, db_session)
    products = showrooms.displayed_products(db_session=db_session, showroom=showroom)
    event_recorder(request).record(
        "landing",
        showroom_id=showroom.id,
        visitor=shopper.visitor,
    )
    response = render(
        request,
        db_session,
        shopper,
        "showroom.html",
        {
            "showroom": showroom,
            "products": [product_read(p, shopper.language) for p in products],
            "title": showroom.name,
        },
    )
    remember(response, SHOWROOM_COOKIE, showroom.slug)
    return response


@router.get("/s/{slug}/find", response_class=HTMLResponse)
def text_search(
    slug: str,
    request: Request,
    db_session: SessionDep,
    q: Annotated[str, Query(max_length=200)] = "",
    photo: Annotated[str, Query(max_length=2000)] = "",
) -> Response:
    """Products by name; after a photo search (``photo``: its signed answer) the products found
    are picks, so the shopper's choice teaches the search (shopper_picks.py)."""
    wait = over_limit(
        request,
        (rules.TEXT_SEARCHES_PER_BROWSER, browser_of(request)),
        (rules.TEXT_SEARCHES_PER_ADDRESS, client_address(request)),
    )
    if wait:
        raise HTTPException(
            status_code=429,
            detail="too many searches: wait a moment",
            headers={"Retry-After": str(int(wait))},
        )
    showroom = _showroom(db_session, slug)
    shopper = shopper_of(request, db_session)
    shown = showrooms.displayed_product_ids(db_session=db_session, showroom=showroom)
    found = catalog.find_products(db_session=db_session, query=q, product_ids=shown)
    event_recorder(request).record(
        "text_search",
        showroom_id=showroom.id,
        visitor=shopper.visitor,
        detail={"query": q, "results": len(found)},
    )
    return render(
        request,
        db_session,
        shopper,
        "results.html",
        {
            "showroom": showroom,
            "query": q,
            "products": [product_read(p, shopper.language) for p in found],
            "title": shopper.t("Results"),
            "answer": None,
            **_photo_picks(request, photo),
        },
    )


def _photo_picks(request: Request, token: str) -> dict[str, object]:
    secret = get_installation(request).settings.secret_key
    if not token or MatchedPhoto.from_signed(secret, token) is None:
        return {}
    return {"picks": True, "match_token": token}


@router.get("/p/{code}")
def shelf_tag_landing(code: str, request: Request, db_session: SessionDep) -> Response:
    tag = showrooms.find_shelf_tag(db_session=db_session, code=code[:16])
    if tag is None:
        raise HTTPException(status_code=404, detail="This shelf tag is unknown.")
    showroom = showrooms.get_showroom(db_session=db_session, showroom_id=tag.showroom_id)
    event_recorder(request).record(
        "qr_scan",
        showroom_id=tag.showroom_id,
        product_id=tag.product_id,
        visitor=getattr(request.state, "visitor", ""),
        source="qr",
        detail={"tag": tag.code},
    )
    response = RedirectResponse(f"/products/{tag.product_id}?via=qr", status_code=303)
    if showroom is not None:
        remember(response, SHOWROOM_COOKIE, showroom.slug)
    return response


@router.get("/products/{product_id}", response_class=HTMLResponse)
def product_page(
    product_id: str,
    request: Request,
    db_session: SessionDep,
    via: Annotated[str, Query(max_length=16)] = "",
) -> Response:
    product = catalog.get_product(db_session=db_session, product_id=product_id)
    if product is None:
        raise HTTPException(status_code=404, detail="This product does not exist.")
    shopper = shopper_of(request, db_session)
    showroom = None
    if shopper.showroom_slug:
        showroom = showrooms.get_showroom_by_slug(db_session=db_session, slug=shopper.showroom_slug)
    availability = stock.available_by_variant(
        db_session=db_session, variant_ids=[v.id for v in product.variants]
    )
    event_recorder(request).record(
        "product_view",
        showroom_id=showroom.id if showroom else None,
        product_id=product.id,
        visitor=shopper.visitor,
        source=via,
    )
    return render(
        request,
        db_session,
        shopper,
        "product.html",
        {
            "product": product_read(product, shopper.language),
            "availability": availability,
            "showroom": showroom,
            "title": localized(product, shopper.language)[0],
            "added": request.query_params.get("added") == "1",
        },
    )


@router.post("/preferences")
def set_preferences(
    request: Request,
    language: Annotated[str, Form(max_length=8)] = "",
    currency: Annotated[str, Form(max_length=3)] = "",
    back: Annotated[str, Form(max_length=2000)] = "/",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf_token)
    local = back.startswith("/") and not back.startswith(("//", "/\\"))
    target = back if local else "/"
    response = RedirectResponse(target, status_code=303)
    if language in available_languages():
        remember(response, LANGUAGE_COOKIE, language)
    if currency in DISPLAY_CURRENCIES:
        remember(response, CURRENCY_COOKIE, currency)
    return response

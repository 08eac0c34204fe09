"""Shopper pages: the showroom landing page and the product page."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from vitrine.catalog import service as catalog
from vitrine.showrooms import service as showrooms
from vitrine.web.dependencies import SessionDep
from vitrine.web.pages.templating import templates
from vitrine.web.presenters import product_read

router = APIRouter(include_in_schema=False)


@router.get("/")
def home(request: Request, db_session: SessionDep) -> Response:
    all_showrooms = showrooms.list_showrooms(db_session=db_session)
    if len(all_showrooms) == 1:
        return RedirectResponse(url=f"/s/{all_showrooms[0].slug}", status_code=302)
    return templates.TemplateResponse(
        request, "home.html", {"showrooms": all_showrooms, "title": "Vitrine"}
    )


@router.get("/s/{slug}", response_class=HTMLResponse)
def showroom_page(slug: str, request: Request, db_session: SessionDep) -> Response:
    showroom = showrooms.get_showroom_by_slug(db_session=db_session, slug=slug)
    if showroom is None:
        raise HTTPException(status_code=404, detail="This showroom does not exist.")
    products = showrooms.displayed_products(db_session=db_session, showroom=showroom)
    return templates.TemplateResponse(
        request,
        "showroom.html",
        {
            "showroom": showroom,
            "products": [product_read(product) for product in products],
            "title": showroom.name,
        },
    )


@router.get("/products/{product_id}", response_class=HTMLResponse)
def product_page(product_id: str, request: Request, db_session: SessionDep) -> Response:
    product = catalog.get_product(db_session=db_session, product_id=product_id)
    if product is None:
        raise HTTPException(status_code=404, detail="This product does not exist.")
    return templates.TemplateResponse(
        request, "product.html", {"product": product_read(product), "title": product.name}
    )

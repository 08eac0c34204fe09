"""Catalog API: list and read products, read a showroom with what it displays."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Query

from vitrine import __version__
from vitrine.catalog import service as catalog
from vitrine.showrooms import service as showrooms
from vitrine.web.api.responses import refusal
from vitrine.web.dependencies import SessionDep
from vitrine.web.presenters import product_read
from vitrine.web.schemas import Health, ProductPage, ProductRead, ShowroomRead

router = APIRouter(tags=["catalog"])


@router.get("/health", response_model=Health)
def health(db_session: SessionDep) -> Health:
    products = catalog.count_products(db_session=db_session)
    return Health(status="ok", products=products, version=__version__)


@router.get("/products", response_model=ProductPage)
def list_products(
    db_session: SessionDep,
    limit: int = Query(default=50, ge=1, le=500),
    offset: int = Query(default=0, ge=0, le=1_000_000_000),
) -> ProductPage:
    products = catalog.list_products(db_session=db_session, limit=limit, offset=offset)
    return ProductPage(
        items=[product_read(product) for product in products],
        total=catalog.count_products(db_session=db_session),
        limit=limit,
        offset=offset,
    )


@router.get(
    "/products/{product_id}",
    response_model=ProductRead,
    responses={404: refusal("no such product")},
)
def read_product(product_id: str, db_session: SessionDep) -> ProductRead:
    product = catalog.get_product(db_session=db_session, product_id=product_id)
    if product is None:
        raise HTTPException(status_code=404, detail=f"no product {product_id}")
    return product_read(product)


@router.get(
    "/showrooms/{slug}", response_model=ShowroomRead, responses={404: refusal("no such showroom")}
)
def read_showroom(slug: str, db_session: SessionDep) -> ShowroomRead:
    showroom = showrooms.get_showroom_by_slug(db_session=db_session, slug=slug)
    if showroom is None:
        raise HTTPException(status_code=404, detail=f"no showroom {slug}")
    products = showrooms.displayed_products(db_session=db_session, showroom=showroom)
    return ShowroomRead(
        slug=showroom.slug,
        name=showroom.name,
        address=showroom.address,
        currency=showroom.currency,
        products=[product_read(product) for product in products],
    )

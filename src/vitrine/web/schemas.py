"""Pydantic shapes that cross the HTTP API."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, BeforeValidator, Strict


def _integral(value: object) -> object:
    return int(value) if isinstance(value, float) and value.is_integer() else value


# Numbers in JSON bodies as JSON Schema reads them: 3.0 is an integer, "3" and true are not
# numbers (pydantic's lax mode would take both). Query and form fields stay lax: they are text.
JsonInt = Annotated[int, BeforeValidator(_integral), Strict()]
JsonFloat = Annotated[float, Strict()]


class VariantRead(BaseModel):
    id: str
    sku: str
    label: str
    price_minor: int
    currency: str
    price_display: str


class ProductRead(BaseModel):
    id: str
    sku: str
    name: str
    description: str
    category: str
    brand: str
    image_urls: list[str]
    variants: list[VariantRead]
    price_from: str | None
    price_minor: int | None = None  # the cheapest variant's price, for display conversion
    currency: str | None = None


class ProductPage(BaseModel):
    items: list[ProductRead]
    total: int
    limit: int
    offset: int


class ShowroomRead(BaseModel):
    slug: str
    name: str
    address: str
    currency: str
    products: list[ProductRead]


class Health(BaseModel):
    status: str
    products: int
    version: str


class Problem(BaseModel):
    detail: str

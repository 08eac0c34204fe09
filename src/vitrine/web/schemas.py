"""Pydantic shapes that cross the HTTP API."""

from __future__ import annotations

from pydantic import BaseModel


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

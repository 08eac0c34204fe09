"""Turning domain objects into the plain shapes pages and API responses show."""

from __future__ import annotations

from vitrine.catalog.models import Product, Variant
from vitrine.catalog.money import format_price
from vitrine.catalog.service import localized, localized_category
from vitrine.web.schemas import ProductRead, VariantRead


def media_url(media_key: str) -> str:
    return f"/media/{media_key}"


def variant_read(variant: Variant) -> VariantRead:
    return VariantRead(
        id=variant.id,
        sku=variant.sku,
        label=variant.label,
        price_minor=variant.price_minor,
        currency=variant.currency,
        price_display=format_price(variant.price_minor, variant.currency),
    )


def product_read(product: Product, language: str | None = None) -> ProductRead:
    variants = [variant_read(variant) for variant in product.variants]
    cheapest = min(variants, key=lambda v: v.price_minor, default=None)
    name, description = (
        localized(product, language) if language else (product.name, product.description)
    )
    return ProductRead(
        id=product.id,
        sku=product.sku,
        name=name,
        description=description,
        category=localized_category(product, language) if language else product.category,
        brand=product.brand,
        image_urls=[media_url(image.media_key) for image in product.images],
        variants=variants,
        price_from=cheapest.price_display if cheapest else None,
        price_minor=cheapest.price_minor if cheapest else None,
        currency=cheapest.currency if cheapest else None,
    )

"""Synthetic product pictures made on the fly, so the search tests never need the dataset."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw
from sqlalchemy.orm import Session

from vitrine.catalog.models import Product, ProductImage, Variant
from vitrine.media import MediaStore


def draw_product(seed: int, size: tuple[int, int] = (320, 240)) -> Image.Image:
    """A carton-like 'product' with a coloured body, a label and a logo, on a noisy shelf."""
    rng = np.random.default_rng(seed)
    shelf = rng.integers(60, 200, (size[1], size[0], 3), dtype=np.uint8)
    image = Image.fromarray(shelf)
    draw = ImageDraw.Draw(image)
    body = tuple(int(v) for v in rng.integers(0, 255, 3))
    w, h = size
    draw.rectangle([w // 4, h // 8, 3 * w // 4, 7 * h // 8], fill=body)
    for _ in range(6):
        x = int(rng.integers(w // 4, 3 * w // 4 - 20))
        y = int(rng.integers(h // 8, 7 * h // 8 - 20))
        colour = tuple(int(v) for v in rng.integers(0, 255, 3))
        draw.ellipse([x, y, x + 20, y + 14], fill=colour)
    return image


def encode(image: Image.Image, fmt: str = "JPEG", **options: object) -> bytes:
    """The picture as file bytes."""
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def add_catalog_product(
    session: Session, media: MediaStore, sku: str, picture: bytes
) -> ProductImage:
    """A product with one variant and one stored catalog picture (flushed: ids are set)."""
    stored = media.put_bytes(picture)
    product = Product(sku=sku, name=sku.title())
    product.variants.append(Variant(sku=sku, label="", price_minor=500, currency="EUR"))
    session.add(product)
    session.flush()
    image = ProductImage(
        product_id=product.id,
        source="catalog",
        media_key=stored.media_key,
        sha256=stored.sha256,
        width=stored.width,
        height=stored.height,
    )
    session.add(image)
    session.flush()
    return image

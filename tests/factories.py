"""Small builders of test data: images drawn by the tests and catalog files that use them."""

from __future__ import annotations

import io
import json
from pathlib import Path

from PIL import Image, ImageDraw


def product_photo_bytes(colour: tuple[int, int, int] = (200, 40, 40), size: int = 64) -> bytes:
    """A small JPEG of a coloured 'product' on a light background."""
    image = Image.new("RGB", (size, size), (240, 240, 235))
    ImageDraw.Draw(image).ellipse((8, 8, size - 8, size - 8), fill=colour)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def write_photo(path: Path, colour: tuple[int, int, int] = (200, 40, 40)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(product_photo_bytes(colour))
    return path


def write_csv(path: Path, header: str, *rows: str) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def write_json(path: Path, products: object) -> Path:
    path.write_text(json.dumps(products), encoding="utf-8")
    return path

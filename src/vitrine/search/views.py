"""Extra views of a picture: query crops (multi-crop search) and training views (for the adapter).

A shopper's photo often shows a crate of fruit or a shelf with the product in a
corner: the product is scored on the whole photo and on five crops (centre and
corners) and the scores are averaged. A shop's own pictures are few (often one
studio image per product), so the adapter also learns from seeded random
re-framings of them: crops, mirror, small rotations, light and colour changes,
the variation a phone photo in the showroom adds. Both were measured on
Grocery train photos before val (benchmarks/search/RESULTS.md, "Multi-crop and
training views").
"""

from __future__ import annotations

import hashlib
import random

from PIL import Image, ImageEnhance

CROP_FRACTION = 0.6
TRAINING_VIEWS = 6


def query_crops(image: Image.Image, fraction: float = CROP_FRACTION) -> list[Image.Image]:
    """Centre and four corner crops, each ``fraction`` of the width and height."""
    width, height = image.size
    crop_w, crop_h = max(1, round(width * fraction)), max(1, round(height * fraction))
    corners = [
        ((width - crop_w) // 2, (height - crop_h) // 2),
        (0, 0),
        (width - crop_w, 0),
        (0, height - crop_h),
        (width - crop_w, height - crop_h),
    ]
    return [image.crop((x, y, x + crop_w, y + crop_h)) for x, y in corners]


def _seed(key: str) -> int:
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")


def training_views(image: Image.Image, count: int, key: str) -> list[Image.Image]:
    """``count`` random re-framings of ``image``, the same every time for the same ``key``."""
    rng = random.Random(_seed(key))
    picture = image.convert("RGB")
    width, height = picture.size
    views = []
    for _ in range(count):
        area, aspect = rng.uniform(0.45, 1.0), rng.uniform(0.75, 1.33)
        crop_w = max(1, min(width, int(width * (area * aspect) ** 0.5)))
        crop_h = max(1, min(height, int(height * (area / aspect) ** 0.5)))
        x, y = rng.randint(0, width - crop_w), rng.randint(0, height - crop_h)
        view = picture.crop((x, y, x + crop_w, y + crop_h))
        if rng.random() < 0.5:
            view = view.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        view = view.rotate(
            rng.uniform(-15, 15), resample=Image.Resampling.BILINEAR, fillcolor=(255, 255, 255)
        )
        view = ImageEnhance.Brightness(view).enhance(rng.uniform(0.75, 1.25))
        view = ImageEnhance.Contrast(view).enhance(rng.uniform(0.75, 1.25))
        views.append(ImageEnhance.Color(view).enhance(rng.uniform(0.8, 1.2)))
    return views

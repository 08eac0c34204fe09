"""Extra views of a picture: query crops (multi-crop search) and training views (for the adapter).

A shopper's photo often shows a crate of fruit or a shelf with the product in a
corner: the product is scored on the whole photo and on five crops (centre and
corners) and the scores are averaged. A shop's own pictures are few (often one
studio image per product), so the adapter also learns from seeded random
re-framings of them: crops, mirror, small rotations, light and colour changes,
the variation a phone photo in the showroom adds; studio shots on white are also
cut out and pasted, one to eight times, on backdrops (how fruit lies in a crate).
All were measured on Grocery train photos before val (benchmarks/search/RESULTS.md,
"Session 2").
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageEnhance, ImageFilter

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
    rng = random.Random(_seed(key))  # noqa: S311 (seeded, reproducible sampling; no secret)
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


PILE_VIEWS = 6
PILE_SIDE = 400
# Pictures are given to ``adapter_views`` in batches of this size (their backdrops come
# from the same batch): the service and the benchmark both use it, so they make the same views.
VIEW_BATCH = 16


def studio_cutout(image: Image.Image) -> tuple[Image.Image, Image.Image] | None:
    """The product of a studio picture (on a white background) and its soft mask, or None.

    A picture whose border is not mostly near-white is not a studio shot: no cut-out.
    """
    pixels = np.asarray(image.convert("RGB"), np.int16)
    foreground = (pixels.min(axis=2) < 225) | (np.ptp(pixels, axis=2) > 25)
    border = np.concatenate([foreground[0], foreground[-1], foreground[:, 0], foreground[:, -1]])
    if border.mean() > 0.2 or foreground.sum() < 100:
        return None
    rows, columns = np.nonzero(foreground)
    box = (int(columns.min()), int(rows.min()), int(columns.max()) + 1, int(rows.max()) + 1)
    mask = Image.fromarray((foreground * 255).astype(np.uint8))
    mask = mask.filter(ImageFilter.MaxFilter(3)).filter(ImageFilter.GaussianBlur(1))
    return image.convert("RGB").crop(box), mask.crop(box)


def pile_views(
    image: Image.Image, count: int, key: str, backdrops: Sequence[Image.Image] = ()
) -> list[Image.Image]:
    """Studio product pasted 1-8 times on a backdrop: how produce is shown in a crate.

    Backdrops are other pictures of the shop, blurred, or plain colours. A picture
    that is not a studio shot gets no pile views.
    """
    cutout = studio_cutout(image)
    if cutout is None:
        return []
    product, mask = cutout
    rng = random.Random(_seed("pile:" + key))  # noqa: S311 (seeded, reproducible sampling; no secret)
    side = PILE_SIDE
    views = []
    for _ in range(count):
        if backdrops and rng.random() < 0.5:
            backdrop = rng.choice(list(backdrops)).convert("RGB").resize((side, side))
            canvas = backdrop.filter(ImageFilter.GaussianBlur(8))
        else:
            colour = (rng.randint(40, 220), rng.randint(40, 220), rng.randint(40, 220))
            canvas = Image.new("RGB", (side, side), colour)
        copies = rng.choice([1, 2, 3, 5, 8])
        for _ in range(copies):
            scale = rng.uniform(0.25, 0.7) if copies > 1 else rng.uniform(0.5, 0.9)
            width = max(8, int(side * scale))
            height = max(8, int(width * product.height / product.width))
            if height > 0.9 * side:
                width, height = max(8, int(width * 0.9 * side / height)), int(0.9 * side)
            angle = rng.uniform(-40, 40)
            piece = product.resize((width, height)).rotate(angle, expand=True)
            piece_mask = mask.resize((width, height)).rotate(angle, expand=True)
            width, height = piece.size
            x = rng.randint(-width // 4, max(-width // 4, side - 3 * width // 4))
            y = rng.randint(-height // 4, max(-height // 4, side - 3 * height // 4))
            canvas.paste(piece, (x, y), piece_mask)
        views.append(canvas)
    return views


def adapter_views(pictures: Sequence[tuple[str, Image.Image, bool]]) -> list[list[Image.Image]]:
    """Training views of a batch of (key, picture, is studio shot): re-framings, plus piles
    for studio shots with the batch's other studio pictures as backdrops."""
    studio = [picture for _, picture, is_studio in pictures if is_studio]
    views = []
    for key, picture, is_studio in pictures:
        found = training_views(picture, TRAINING_VIEWS, key)
        if is_studio:
            backdrops = [other for other in studio if other is not picture]
            found += pile_views(picture, PILE_VIEWS, key, backdrops)
        views.append(found)
    return views

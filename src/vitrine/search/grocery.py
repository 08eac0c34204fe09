"""Read the Grocery Store dataset layout (catalog images, in-store photos) for the search benchmark.

Only benchmarks use it; the product never needs the dataset.
"""

from __future__ import annotations

import csv
import random
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class GroceryProduct:
    """A fine class: one catalog product with its studio ("iconic") image."""

    product_id: str
    name: str
    group: str  # Fruit, Vegetables or Packages (top folder of the iconic path)
    iconic_path: Path


@dataclass(frozen=True)
class GroceryPhoto:
    """An in-store smartphone photo of a product."""

    path: Path
    product_id: str


def read_products(dataset_dir: Path) -> list[GroceryProduct]:
    """Products from ``classes.csv``."""
    products = []
    with open(dataset_dir / "classes.csv", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        for row in reader:
            name, class_id, iconic = row[0].strip(), row[1].strip(), row[4].strip().lstrip("/")
            group = Path(iconic).parts[1]
            products.append(GroceryProduct(class_id, name, group, dataset_dir / iconic))
    return products


def read_split(dataset_dir: Path, split: str) -> list[GroceryPhoto]:
    """Photos listed in ``<split>.txt`` (``path, fine_id, coarse_id`` lines)."""
    photos = []
    for line in (dataset_dir / f"{split}.txt").read_text().splitlines():
        if line.strip():
            path, fine_id = (part.strip() for part in line.split(",")[:2])
            photos.append(GroceryPhoto(dataset_dir / path, fine_id))
    return photos


def enrollment_shots(photos: list[GroceryPhoto], shots: int, seed: int) -> list[GroceryPhoto]:
    """``shots`` photos per product drawn with a fixed seed (the operator's in-store photos)."""
    by_product: dict[str, list[GroceryPhoto]] = defaultdict(list)
    for photo in photos:
        by_product[photo.product_id].append(photo)
    rng = random.Random(seed)  # noqa: S311 (seeded, reproducible sampling; no secret)
    chosen = []
    for product_id in sorted(by_product, key=int):
        pool = sorted(by_product[product_id], key=lambda photo: photo.path.name)
        chosen.extend(rng.sample(pool, min(shots, len(pool))))
    return chosen


def holdout(products: list[GroceryProduct], count: int, seed: int) -> set[str]:
    """Ids of ``count`` products removed from the catalog for the open-set test."""
    rng = random.Random(seed + 1)  # noqa: S311 (seeded, reproducible sampling; no secret)
    return {product.product_id for product in rng.sample(products, count)} if count else set()

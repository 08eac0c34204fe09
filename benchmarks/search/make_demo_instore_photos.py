"""Make the demo showroom's in-store photos: 3 per product from the Grocery train split, small.

Run once by a developer (it reads ../shared, which the product never does):
    python benchmarks/search/make_demo_instore_photos.py ../shared/datasets/grocery
It writes src/vitrine/demo/data/instore/<catalog image stem>-<n>.jpg (400 px on the long side,
JPEG quality 75) and instore.json (catalog image -> its photos). Only the train split is used,
so benchmarks on val stay honest.
"""

from __future__ import annotations

import argparse
import json
import random
from collections import defaultdict
from pathlib import Path

from PIL import Image, ImageOps

from vitrine.search.grocery import read_products, read_split

PHOTOS_PER_PRODUCT = 3
LONG_SIDE = 400
DEMO_DATA = Path(__file__).resolve().parents[2] / "src" / "vitrine" / "demo" / "data"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    catalog = json.loads((DEMO_DATA / "catalog.json").read_text())
    images = {Path(p["images"][0]).stem: p["sku"] for p in catalog["products"]}
    classes = {product.product_id: product.name for product in read_products(args.dataset)}
    photos_of: dict[str, list[Path]] = defaultdict(list)
    for photo in read_split(args.dataset, "train"):
        photos_of[classes[photo.product_id].lower()].append(photo.path)
    out = DEMO_DATA / "instore"
    out.mkdir(exist_ok=True)
    manifest: dict[str, list[str]] = {}
    rng = random.Random(args.seed)
    for stem in sorted(images):
        chosen = rng.sample(sorted(photos_of[stem]), PHOTOS_PER_PRODUCT)
        names = []
        for number, source in enumerate(chosen, start=1):
            picture = ImageOps.exif_transpose(Image.open(source)).convert("RGB")
            picture.thumbnail((LONG_SIDE, LONG_SIDE), Image.Resampling.LANCZOS)
            name = f"{stem}-{number}.jpg"
            picture.save(out / name, format="JPEG", quality=75, optimize=True)
            names.append(f"instore/{name}")
        manifest[f"images/{stem}.jpg"] = names
    (DEMO_DATA / "instore.json").write_text(json.dumps(manifest, indent=1) + "\n")
    print(f"{sum(len(v) for v in manifest.values())} photos of {len(manifest)} products in {out}")


if __name__ == "__main__":
    main()

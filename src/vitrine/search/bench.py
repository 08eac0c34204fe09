"""Measure visual search on the Grocery Store dataset: recall, "not found", latency, throughput.

    python -m vitrine.search.bench --dataset /work/shared/datasets/grocery --split val --shots 5
        [--holdout-products 20] [--adapter enrollment|train|none] [--no-geometry] [--json]

The catalog is one studio image per product plus ``--shots`` in-store photos
per product drawn (fixed seed) from the train split; queries are the photos of
``--split``. With ``--holdout-products N``, N products leave the catalog and
their photos become out-of-catalog queries.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from tqdm import tqdm

from vitrine.search.adapter import Adapter, fit_adapter
from vitrine.search.bench_metrics import hardware, latency, print_report, score_answers
from vitrine.search.confidence import (
    CONFIDENCE_WITH_ADAPTER,
    SHORTLIST_CONFIDENCE,
    SHORTLIST_WITH_ADAPTER,
    ConfidenceModel,
    answer_cues,
    fit_confidence,
    shortlist_cues,
)
from vitrine.search.embedder import EmbedderConfig, OnnxEmbedder
from vitrine.search.grocery import (
    GroceryPhoto,
    enrollment_shots,
    holdout,
    read_products,
    read_split,
)
from vitrine.search.index import FaissIndex, ImageRecord
from vitrine.search.indexing import index_pictures
from vitrine.search.keypoints import (
    DEFAULT_FEATURES,
    DEFAULT_SIDE,
    LocalFeatures,
    LocalFeatureStore,
    extract_local_features,
)
from vitrine.search.pipeline import PipelineConfig, SearchAnswer, SearchPipeline
from vitrine.search.views import (
    CROP_FRACTION,
    PILE_SIDE,
    PILE_VIEWS,
    TRAINING_VIEWS,
    VIEW_BATCH,
    adapter_views,
    query_crops,
)


@dataclass(frozen=True)
class BenchOptions:
    """What one benchmark run measures."""

    dataset_dir: Path
    split: str = "val"
    shots: int = 5
    holdout_products: int = 0
    seed: int = 0
    adapter: str = "enrollment"  # none | enrollment | train
    variant: str = "efficientnet-lite0"
    crops: bool = True  # multi-crop queries (whole photo + 5 crops)
    training_views: bool = True  # the adapter also learns from views.adapter_views
    geometry: bool = True
    size: int = 320
    extra_sizes: tuple[int, ...] = ()
    threads: int = 2
    latency_queries: int = 20
    latency_photo_size: tuple[int, int] = (4000, 3000)  # 12 megapixels
    calibration_queries: int = 300
    cache_dir: Path | None = None


@dataclass(frozen=True)
class Picture:
    """A dataset picture with its product and role."""

    image_id: str
    path: Path
    product_id: str
    group: str
    source: str = "catalog"


def _load(path: Path) -> Image.Image:
    with Image.open(path) as image:
        return image.convert("RGB")


def _cached(cache_dir: Path | None, key: str, compute: Callable[[], Any]) -> Any:
    """``compute()``, memoised as a pickle in ``cache_dir`` when given (benchmarks only)."""
    import pickle

    if cache_dir is None:
        return compute()
    # A cache file name, not a signature: collisions would cost a recompute, not security.
    path = cache_dir / f"{hashlib.sha1(key.encode()).hexdigest()[:16]}.pkl"  # noqa: S324
    if path.exists():
        with open(path, "rb") as handle:
            return pickle.load(handle)  # noqa: S301 (our own cache dir, written just above)
    value = compute()
    cache_dir.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".part"), "wb") as handle:
        pickle.dump(value, handle)
    path.with_suffix(".part").replace(path)
    return value


def _pictures(options: BenchOptions) -> tuple[list[Picture], list[Picture], set[str]]:
    """Catalog pictures (studio + enrollment shots), query photos, held-out product ids."""
    products = read_products(options.dataset_dir)
    group_of = {product.product_id: product.group for product in products}
    held = holdout(products, options.holdout_products, options.seed)
    catalog = [
        Picture(f"iconic-{p.product_id}", p.iconic_path, p.product_id, p.group)
        for p in products
        if p.product_id not in held
    ]
    train = [photo for photo in read_split(options.dataset_dir, "train")]
    shots = enrollment_shots(
        [photo for photo in train if photo.product_id not in held], options.shots, options.seed
    )
    catalog += [_photo(photo, group_of, "enrollment") for photo in shots]
    in_catalog = {p.path for p in catalog}
    queries = [
        _photo(p, group_of, "query")
        for p in read_split(options.dataset_dir, options.split)
        if p.path not in in_catalog  # with --split train, enrollment shots are not queries
    ]
    return catalog, queries, held


def _photo(photo: GroceryPhoto, group_of: dict[str, str], source: str) -> Picture:
    return Picture(
        photo.path.name, photo.path, photo.product_id, group_of[photo.product_id], source
    )


def _raw_vectors(
    embedder: OnnxEmbedder, pictures: Sequence[Picture], options: BenchOptions
) -> np.ndarray:
    def compute() -> np.ndarray:
        rows = []
        for start in tqdm(range(0, len(pictures), 16), desc="embedding", leave=False):
            rows.append(embedder.raw([_load(p.path) for p in pictures[start : start + 16]]))
        return np.concatenate(rows)

    key = f"raw|{embedder.config}|" + "|".join(str(p.path) for p in pictures)
    return np.asarray(_cached(options.cache_dir, key, compute))


def _query_views(
    embedder: OnnxEmbedder, pictures: Sequence[Picture], options: BenchOptions
) -> np.ndarray:
    """(n, 6, dim) raw descriptors: the whole photo, then its five crops."""

    def compute() -> np.ndarray:
        rows = []
        for picture in tqdm(pictures, desc="embedding query crops", leave=False):
            image = _load(picture.path)
            rows.append(embedder.raw([image, *query_crops(image)]))
        return np.stack(rows)

    key = f"crops|{CROP_FRACTION}|{embedder.config}|" + "|".join(str(p.path) for p in pictures)
    return np.asarray(_cached(options.cache_dir, key, compute))


def _training_views(
    embedder: OnnxEmbedder, pictures: Sequence[Picture], options: BenchOptions
) -> tuple[np.ndarray, list[str]]:
    """Raw descriptors of the training views of catalog pictures (as the service makes them)."""

    def compute() -> tuple[np.ndarray, list[str]]:
        rows = [np.zeros((0, embedder.config.dim), np.float32)]
        products: list[str] = []
        batches = range(0, len(pictures), VIEW_BATCH)
        for start in tqdm(batches, desc="training views", leave=False):
            chunk = pictures[start : start + VIEW_BATCH]
            batch = [(p.image_id, _load(p.path), p.source == "catalog") for p in chunk]
            for picture, views in zip(chunk, adapter_views(batch), strict=True):
                rows.append(embedder.raw(views))
                products += [picture.product_id] * len(views)
        return np.concatenate(rows), products

    if not options.training_views:
        return np.zeros((0, embedder.config.dim), np.float32), []
    counts = f"{TRAINING_VIEWS}/{PILE_VIEWS}/{PILE_SIDE}/{VIEW_BATCH}"
    key = f"views2|{counts}|{embedder.config}|" + "|".join(f"{p.path}:{p.source}" for p in pictures)
    vectors, products = _cached(options.cache_dir, key, compute)
    return np.asarray(vectors), list(products)


def _local_features(pictures: Sequence[Picture], options: BenchOptions) -> list[LocalFeatures]:
    def compute() -> list[LocalFeatures]:
        return [
            extract_local_features(_load(p.path))
            for p in tqdm(pictures, desc="keypoints", leave=False)
        ]

    key = f"sift|{DEFAULT_SIDE}|{DEFAULT_FEATURES}|" + "|".join(str(p.path) for p in pictures)
    return list(_cached(options.cache_dir, key, compute))


def _adapter(
    options: BenchOptions,
    catalog: Sequence[Picture],
    raw: np.ndarray,
    held: set[str],
    embedder: OnnxEmbedder,
) -> Adapter | None:
    """The adapter of the run: none, fitted on the catalog itself, or on the whole train split."""
    if options.adapter == "none":
        return None
    if options.adapter == "enrollment":
        views, view_products = _training_views(embedder, catalog, options)
        return fit_adapter(
            np.concatenate([raw, views]), [p.product_id for p in catalog] + view_products
        )
    photos = [p for p in read_split(options.dataset_dir, "train") if p.product_id not in held]
    extra = [Picture(p.path.name, p.path, p.product_id, "", "train") for p in photos]
    studio = [p for p in catalog if p.source == "catalog"]
    vectors = np.concatenate([raw[: len(studio)], _raw_vectors(embedder, extra, options)])
    return fit_adapter(vectors, [p.product_id for p in studio] + [p.product_id for p in extra])


def _index(
    catalog: Sequence[Picture], vectors: np.ndarray, features: list[LocalFeatures]
) -> tuple[FaissIndex, LocalFeatureStore]:
    records = [
        ImageRecord(
            p.image_id, p.product_id, None, "enrollment" if p.source == "enrollment" else "catalog"
        )
        for p in catalog
    ]
    index = FaissIndex.rebuild(records, vectors)
    store = LocalFeatureStore()
    for picture, local in zip(catalog, features, strict=True):
        store.add(picture.image_id, picture.product_id, local)
    return index, store


def indexing_throughput(
    embedder: OnnxEmbedder, catalog: Sequence[Picture], geometry: bool
) -> tuple[float, float]:
    """Pictures/s (wall) and CPU ms per picture to read, decode, embed, extract keypoints, add."""
    import time

    started_cpu = time.process_time()
    pictures = (
        (ImageRecord(picture.image_id, picture.product_id), picture.path.read_bytes())
        for picture in catalog
    )
    report = index_pictures(
        pictures,
        embedder=embedder,
        index=FaissIndex(embedder.dim),
        keypoints=LocalFeatureStore() if geometry else None,
        total=len(catalog),
    )
    cpu_ms = (time.process_time() - started_cpu) * 1000 / max(1, len(catalog))
    return report.images_per_second, cpu_ms


def _phone_jpegs(queries: Sequence[Picture], count: int, size: tuple[int, int]) -> list[bytes]:
    """Query photos blown up to phone-camera ``size`` (12 MP by default) and saved as JPEGs."""
    import io

    blobs = []
    for picture in queries[:: max(1, len(queries) // count)][:count]:
        buffer = io.BytesIO()
        _load(picture.path).resize(size, Image.Resampling.BICUBIC).save(buffer, "JPEG", quality=90)
        blobs.append(buffer.getvalue())
    return blobs


def _answers(
    pipeline: SearchPipeline,
    queries: Sequence[Picture],
    vectors: np.ndarray,
    features: list[LocalFeatures],
) -> list[SearchAnswer]:
    answers = []
    for picture, vector, local in tqdm(
        list(zip(queries, vectors, features, strict=True)), desc="searching", leave=False
    ):
        image = (
            _load(picture.path) if pipeline.config.geometry.enabled else Image.new("RGB", (1, 1))
        )
        answers.append(pipeline.search(image, limit=5, vector=vector, query_features=local))
    return answers


@dataclass
class _Material:
    """Pictures of one run with their (cached) descriptors and keypoints."""

    pictures: list[Picture]
    raw: np.ndarray  # (n, dim), or (n, views, dim) for queries
    local: list[LocalFeatures]


def _material(
    embedder: OnnxEmbedder, pictures: list[Picture], options: BenchOptions, queries: bool = False
) -> _Material:
    if options.geometry:
        local = _local_features(pictures, options)
    else:
        nothing = LocalFeatures(np.zeros((0, 2), np.float32), np.zeros((0, 128), np.uint8))
        local = [nothing] * len(pictures)
    if queries and options.crops:
        return _Material(pictures, _query_views(embedder, pictures, options), local)
    return _Material(pictures, _raw_vectors(embedder, pictures, options), local)


def _calibration_pictures(options: BenchOptions, catalog: list[Picture]) -> list[Picture]:
    """Train photos that are not enrollment shots (held-out products included), seeded sample."""
    import random

    products = read_products(options.dataset_dir)
    group_of = {product.product_id: product.group for product in products}
    used = {p.path for p in catalog}
    photos = [p for p in read_split(options.dataset_dir, "train") if p.path not in used]
    sample = random.Random(options.seed + 2).sample(  # noqa: S311 (seeded, reproducible sampling; no secret)
        photos, min(options.calibration_queries, len(photos))
    )
    return [_photo(p, group_of, "query") for p in sample]


def _fitted_confidence(
    pipeline: SearchPipeline,
    transform: Callable[[np.ndarray], np.ndarray],
    calibration: _Material,
    held: set[str],
) -> tuple[ConfidenceModel, ConfidenceModel]:
    """The single-answer and the short-list models, fitted on the calibration photos."""
    answers = _answers(
        pipeline, calibration.pictures, transform(calibration.raw), calibration.local
    )
    size = pipeline.config.shortlist_size
    pairs = list(zip(calibration.pictures, answers, strict=True))
    first = [
        a.results[:1] != [] and a.results[0].product_id == p.product_id and p.product_id not in held
        for p, a in pairs
    ]
    listed = [
        p.product_id not in held and p.product_id in [m.product_id for m in a.results[:size]]
        for p, a in pairs
    ]
    single = fit_confidence(
        np.stack([answer_cues(a.results) for a in answers]), np.array(first, float)
    )
    shortlist = fit_confidence(
        np.stack([shortlist_cues(a.results) for a in answers]), np.array(listed, float)
    )
    return single, shortlist


def _run_stage(
    pipeline: SearchPipeline,
    transform: Callable[[np.ndarray], np.ndarray],
    queries: _Material,
    calibration: _Material | None,
    held: set[str],
    shipped: tuple[ConfidenceModel, ConfidenceModel],
) -> dict[str, Any]:
    """Fit the confidences on train photos (the ``shipped`` ones when there are none), then
    score the queries."""
    model, shortlist = (
        shipped
        if calibration is None
        else _fitted_confidence(pipeline, transform, calibration, held)
    )
    pipeline.config = replace(pipeline.config, confidence=model, shortlist=shortlist)
    scores = score_answers(
        queries.pictures,
        _answers(pipeline, queries.pictures, transform(queries.raw), queries.local),
        held,
    )
    scores["confidence_model"] = {"weights": model.weights, "bias": model.bias}
    scores["shortlist_model"] = {"weights": shortlist.weights, "bias": shortlist.bias}
    return scores


def run_search_benchmark(options: BenchOptions) -> dict[str, Any]:
    """Recall, per-stage gains, open-set figures, latency and throughput of one configuration."""
    embedder_config = EmbedderConfig(
        variant=options.variant,
        size=options.size,
        extra_sizes=options.extra_sizes,
        threads=options.threads,
    )
    embedder = OnnxEmbedder(embedder_config)
    catalog_pictures, query_pictures, held = _pictures(options)
    catalog = _material(embedder, catalog_pictures, options)
    queries = _material(embedder, query_pictures, options, queries=True)
    calibration_pictures = _calibration_pictures(options, catalog_pictures)
    # A dataset whose train photos are all used as shots leaves nothing to calibrate on: the
    # confidence shipped with the product is used then, and the result says so.
    calibration = (
        _material(embedder, calibration_pictures, options, queries=True)
        if calibration_pictures
        else None
    )
    adapter = _adapter(options, catalog_pictures, catalog.raw, held, embedder)
    stages: dict[str, dict[str, Any]] = {}
    final: SearchPipeline | None = None
    plan = _stage_plan(options, adapter)
    for name, adapted, geometric, crops in plan:
        transform = _views_mapped(adapter.apply) if adapted and adapter is not None else _same
        index, store = _index(catalog_pictures, transform(catalog.raw), catalog.local)
        config = PipelineConfig(query_crops=crops)
        config = replace(config, geometry=replace(config.geometry, enabled=geometric))
        final = SearchPipeline(embedder, index, config, store)
        shipped = (
            (CONFIDENCE_WITH_ADAPTER, SHORTLIST_WITH_ADAPTER)
            if adapted and adapter is not None
            else (ConfidenceModel(), SHORTLIST_CONFIDENCE)
        )
        stages[name] = _run_stage(final, transform, queries, calibration, held, shipped)
    assert final is not None
    final_adapted = plan[-1][1]
    final.embedder = OnnxEmbedder(embedder.config, adapter=adapter if final_adapted else None)
    result = {**list(stages.values())[-1], "stages": stages, "options": _describe(options)}
    result["calibration"] = {
        "photos": len(calibration_pictures),
        "confidence": "fitted on train photos outside the catalog"
        if calibration_pictures
        else "shipped defaults: the train split has no photo outside the catalog",
    }
    blobs = _phone_jpegs(query_pictures, options.latency_queries, options.latency_photo_size)
    result.update(latency(final, blobs))
    result["indexing_images_per_s"], result["indexing_cpu_ms_per_image"] = indexing_throughput(
        embedder, catalog_pictures, options.geometry
    )
    result["hardware"] = hardware()
    return result


def _same(vectors: np.ndarray) -> np.ndarray:
    return vectors


def _views_mapped(
    apply: Callable[[np.ndarray], np.ndarray],
) -> Callable[[np.ndarray], np.ndarray]:
    """``apply`` on (n, dim) or, view by view, on (n, views, dim) descriptors."""

    def mapped(vectors: np.ndarray) -> np.ndarray:
        if vectors.ndim == 2:
            return apply(vectors)
        flat = apply(vectors.reshape(-1, vectors.shape[-1]))
        return flat.reshape(*vectors.shape[:2], -1)

    return mapped


def _stage_plan(
    options: BenchOptions, adapter: Adapter | None
) -> list[tuple[str, bool, bool, bool]]:
    """(row name, adapter on, geometry on, multi-crop on), each stage adding one thing."""
    plan = [("embedding (GeM)", False, False, False)]
    if options.geometry:
        plan.append(("+ geometry", False, True, False))
    if adapter is not None:
        plan.append((f"+ adapter ({options.adapter})", True, False, False))
        if options.geometry:
            plan.append((f"+ adapter ({options.adapter}) + geometry", True, True, False))
    if options.crops:
        adapted = adapter is not None
        last = plan[-1][0] if len(plan) > 1 else ""
        plan.append((f"{last} + multi-crop".strip(), adapted, options.geometry, True))
    return plan


def _describe(options: BenchOptions) -> dict[str, Any]:
    return {k: str(v) if isinstance(v, Path) else v for k, v in vars(options).items()}


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point (``python -m vitrine.search.bench``)."""
    import argparse
    import json

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, required=True)
    parser.add_argument("--split", default="val", help="a split file of DIR: val, test, ...")
    parser.add_argument("--shots", type=int, default=5)
    parser.add_argument("--holdout-products", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--adapter", default="enrollment", choices=["none", "enrollment", "train"])
    parser.add_argument("--no-geometry", action="store_true")
    parser.add_argument("--model", default="efficientnet-lite0", help="backbone variant")
    parser.add_argument("--no-crops", action="store_true", help="whole photo only")
    parser.add_argument(
        "--no-training-views", action="store_true", help="adapter fitted on the pictures only"
    )
    parser.add_argument("--size", type=int, default=320)
    parser.add_argument(
        "--extra-sizes", type=int, nargs="*", default=[], help="multi-scale, e.g. 416"
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--latency-queries", type=int, default=20)
    parser.add_argument("--cache-dir", type=Path, default=None)
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument(
        "--learning-loop",
        action="store_true",
        help="shoppers pick their product from the answers, the operator accepts (bench_learning)",
    )
    parser.add_argument("--learning-rounds", type=int, default=5)
    parser.add_argument(
        "--learning-picks",
        default="page",
        choices=["page", "name", "every"],
        help="learning loop: picks on the answer page, also by name, or every photo (bound)",
    )
    parser.add_argument(
        "--learning-later", type=int, default=3, help="train photos per product kept to measure"
    )
    parser.add_argument("--curve", type=Path, default=None, help="learning loop: draw a PNG")
    args = parser.parse_args(argv)
    if not (args.dataset / f"{args.split}.txt").is_file():
        parser.error(f"{args.dataset} has no {args.split}.txt: no such split")
    options = BenchOptions(
        dataset_dir=args.dataset,
        split=args.split,
        shots=args.shots,
        holdout_products=args.holdout_products,
        seed=args.seed,
        adapter=args.adapter,
        variant=args.model,
        crops=not args.no_crops,
        training_views=not args.no_training_views,
        geometry=not args.no_geometry,
        size=args.size,
        extra_sizes=tuple(args.extra_sizes),
        threads=args.threads,
        latency_queries=args.latency_queries,
        cache_dir=args.cache_dir,
    )
    if args.learning_loop:
        _learning_loop(args, options)
        return
    result = run_search_benchmark(options)
    # --json: one line, last, for scripts; otherwise the report for a person.
    print(json.dumps(result)) if args.json else print_report(result)


def _learning_loop(args: Any, options: BenchOptions) -> None:
    import json

    from vitrine.search import bench_learning

    result = bench_learning.run_learning_loop(
        options,
        rounds=args.learning_rounds,
        picks=args.learning_picks,
        later=args.learning_later,
    )
    if args.curve is not None:
        bench_learning.draw_learning_curve([result], args.curve)
    bench_learning.print_learning_report(result)
    if args.json:
        print(json.dumps(result))


if __name__ == "__main__":
    main()

"""The search pipeline: photo -> embedding -> nearest pictures -> one answer per product -> re-rank.

Each stage is switchable through ``PipelineConfig``; timings of every stage
come back with the answer so the benchmark (and the operator) can see them.
"""

from __future__ import annotations

import os
import time
from collections.abc import Collection
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
from PIL import Image

from vitrine.search.confidence import SHORTLIST_CONFIDENCE, SHORTLIST_SIZE, ConfidenceModel
from vitrine.search.embedder import Embedder
from vitrine.search.images import ImageLimits, load_query_image
from vitrine.search.index import ImageHit, VectorIndex
from vitrine.search.keypoints import LocalFeatures, LocalFeatureStore, extract_local_features
from vitrine.search.rerank import GeometryConfig, geometric_boost, verify_products
from vitrine.search.views import CROP_FRACTION, query_crops


@dataclass(frozen=True)
class PipelineConfig:
    """Switches and knobs of the pipeline.

    ``not_found_threshold``: answers whose calibrated confidence (the estimated
    probability that the first product is right) is below it are "not found".
    """

    candidate_images: int = 200
    geometry: GeometryConfig = field(default_factory=GeometryConfig)
    confidence: ConfidenceModel = field(default_factory=ConfidenceModel)
    not_found_threshold: float = 0.5
    # The first screen: one product when ``confidence`` reaches ``not_found_threshold``; else
    # "is it one of these?" with ``shortlist_size`` products when the calibrated probability that
    # they hold the product reaches ``shortlist_threshold``; else "not found" and the text search.
    shortlist: ConfidenceModel = field(default_factory=lambda: SHORTLIST_CONFIDENCE)
    shortlist_threshold: float = 0.5
    shortlist_size: int = SHORTLIST_SIZE
    # Phone photos are decoded at reduced scale (JPEG DCT scaling) to about this size.
    query_max_side: int = 512
    # Multi-crop: products are also scored on five crops of the photo, scores averaged; only
    # when the whole photo's first two products are closer than ``crop_margin`` (chosen on
    # Grocery train photos: it keeps all of the gain, crops run for about a third of searches).
    query_crops: bool = True
    crop_fraction: float = CROP_FRACTION
    crop_margin: float = 0.1


@dataclass(frozen=True)
class ProductMatch:
    """One candidate product with the picture that matched it best."""

    product_id: str
    score: float
    matched_image_id: str
    variant_id: str | None = None
    similarity: float = 0.0
    inliers: int = 0


FirstScreen = Literal["single", "shortlist", "not_found"]


@dataclass(frozen=True)
class SearchAnswer:
    """Products best first; ``not_found`` when the first one is not trustworthy alone.

    ``first_screen`` is what the shopper sees: one product, a short list of
    ``shortlist_size``, or "not found" (then the text search).
    """

    results: list[ProductMatch]
    not_found: bool
    confidence: float
    timings_ms: dict[str, float]
    shortlist_confidence: float = 0.0
    first_screen: FirstScreen = "not_found"
    shortlist_size: int = SHORTLIST_SIZE

    @property
    def best(self) -> ProductMatch | None:
        return None if self.not_found or not self.results else self.results[0]

    @property
    def shortlist(self) -> list[ProductMatch]:
        """The products of the first screen (empty when it says "not found")."""
        if self.first_screen == "single":
            return self.results[:1]
        return self.results[: self.shortlist_size] if self.first_screen == "shortlist" else []


def group_by_product(hits: list[ImageHit]) -> list[ProductMatch]:
    """Keep the best picture of each product, products ordered by that picture's score."""
    best: dict[str, ProductMatch] = {}
    for hit in hits:
        product_id = hit.record.product_id
        if product_id not in best or hit.score > best[product_id].score:
            best[product_id] = ProductMatch(
                product_id, hit.score, hit.record.image_id, hit.record.variant_id, hit.score
            )
    return sorted(best.values(), key=lambda match: -match.score)


def average_over_views(per_view: list[list[ProductMatch]]) -> list[ProductMatch]:
    """Products scored by their mean score over several views of the photo.

    A product missing from a view's candidates counts that view's lowest score.
    The matched picture is the one of the first view (the whole photo) when it has one.
    """
    if len(per_view) == 1:
        return per_view[0]
    floors = [matches[-1].score if matches else 0.0 for matches in per_view]
    first: dict[str, ProductMatch] = {}
    totals: dict[str, float] = {}
    for view, matches in enumerate(per_view):
        for match in matches:
            first.setdefault(match.product_id, match)
            totals[match.product_id] = (
                totals.get(match.product_id, 0.0) + match.score - floors[view]
            )
    floor = sum(floors)
    averaged = [
        replace(first[product_id], score=(total + floor) / len(per_view))
        for product_id, total in totals.items()
    ]
    averaged = [replace(match, similarity=match.score) for match in averaged]
    return sorted(averaged, key=lambda match: -match.score)


# Searches run side by side: each one's keypoints are extracted beside its network pass.
_KEYPOINT_POOL = ThreadPoolExecutor(
    max_workers=max(2, os.cpu_count() or 2), thread_name_prefix="keypoints"
)


class _Clock:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.timings[stage] = round((now - self._last) * 1000, 2)
        self._last = now


class SearchPipeline:
    """Finds the catalog product shown in a shopper's photo."""

    def __init__(
        self,
        embedder: Embedder,
        index: VectorIndex,
        config: PipelineConfig | None = None,
        local_features: LocalFeatureStore | None = None,
    ):
        self.embedder = embedder
        self.index = index
        self.config = config or PipelineConfig()
        self.local_features = local_features

    def search_bytes(
        self,
        data: bytes,
        *,
        showroom_product_ids: Collection[str] | None = None,
        limit: int = 5,
        limits: ImageLimits | None = None,
    ) -> SearchAnswer:
        """Decode an upload (raises ``ImageRejected``) and search it."""
        started = time.perf_counter()
        image = load_query_image(data, limits=limits, max_side=self.config.query_max_side)
        decode_ms = round((time.perf_counter() - started) * 1000, 2)
        answer = self.search(image, showroom_product_ids=showroom_product_ids, limit=limit)
        timings = {"decode": decode_ms, **answer.timings_ms}
        timings["total"] = round(timings["total"] + decode_ms, 2)
        return replace(answer, timings_ms=timings)

    def search(
        self,
        image: Image.Image,
        *,
        showroom_product_ids: Collection[str] | None = None,
        limit: int = 5,
        vector: np.ndarray | None = None,
        query_features: LocalFeatures | None = None,
    ) -> SearchAnswer:
        """Products shown in ``image``; ``vector``/``query_features`` skip recomputation.

        ``vector`` is one descriptor, or one row per view (whole photo first, then its
        ``query_crops``, used only if the crops are wanted).
        """
        clock = _Clock()
        started = clock._last
        keypoints: Future[LocalFeatures] | None = None
        if self._geometry_on() and query_features is None:
            # Keypoints are extracted on the other core while the network runs.
            keypoints = _KEYPOINT_POOL.submit(extract_local_features, image)
        if vector is None:
            vector = self.embedder.embed([image])
        clock.lap("embed")
        given = np.atleast_2d(vector)
        matches = self._products(given[0], showroom_product_ids)
        clock.lap("index")
        if self._wants_crops(matches):
            crops = given[1:] if len(given) > 1 else None
            if crops is None:
                crops = self.embedder.embed(query_crops(image, self.config.crop_fraction))
            per_view = [self._products(row, showroom_product_ids) for row in crops]
            matches = average_over_views([matches, *per_view])
            clock.lap("crops")
        if self._geometry_on() and matches:
            features = query_features if keypoints is None else keypoints.result()
            assert features is not None
            matches = self._verify(matches, features)
            clock.lap("geometry")
        confidence = self.config.confidence.probability(matches)
        not_found = not matches or confidence < self.config.not_found_threshold
        listed = self.config.shortlist.shortlist_probability(matches)
        clock.timings["total"] = round((time.perf_counter() - started) * 1000, 2)
        return SearchAnswer(
            matches[:limit],
            not_found,
            confidence,
            clock.timings,
            listed,
            self._first_screen(matches, not_found, listed),
            self.config.shortlist_size,
        )

    def _first_screen(
        self, matches: list[ProductMatch], not_found: bool, listed: float
    ) -> FirstScreen:
        if matches and not not_found:
            return "single"
        if len(matches) > 1 and listed >= self.config.shortlist_threshold:
            return "shortlist"
        return "not_found"

    def _products(
        self, vector: np.ndarray, showroom_product_ids: Collection[str] | None
    ) -> list[ProductMatch]:
        hits = self.index.search(vector, self.config.candidate_images, showroom_product_ids)
        return group_by_product(hits)

    def _wants_crops(self, whole: list[ProductMatch]) -> bool:
        """Crops are searched only when the whole photo leaves the first two products close."""
        if not self.config.query_crops or len(whole) < 2:
            return False
        return whole[0].score - whole[1].score < self.config.crop_margin

    def _geometry_on(self) -> bool:
        return self.config.geometry.enabled and bool(self.local_features)

    def _verify(self, matches: list[ProductMatch], features: LocalFeatures) -> list[ProductMatch]:
        store = self.local_features
        assert store is not None
        geometry = self.config.geometry
        head, tail = matches[: geometry.top_products], matches[geometry.top_products :]
        counts = verify_products(features, store, [m.product_id for m in head], geometry)
        checked = []
        for match in head:
            inliers = counts.get(match.product_id, 0)
            boost = geometric_boost(inliers, geometry)
            checked.append(replace(match, score=match.score + boost, inliers=inliers))
        checked.sort(key=lambda match: -match.score)
        return checked + tail

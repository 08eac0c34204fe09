"""Re-rank the best candidate products with geometric verification of local features.

For each of the top candidates, SIFT matches between the shopper's photo and
the product's stored pictures are filtered by Lowe's ratio test and a RANSAC
homography; the number of inliers says whether the same printed surface is in
view. The boost is gated: below ``min_inliers`` (typical of fruit and
vegetables, whose texture repeats) nothing changes, so it only helps where it can.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vitrine.search.keypoints import LocalFeatures, LocalFeatureStore


@dataclass(frozen=True)
class GeometryConfig:
    """Knobs of geometric verification.

    Gate and weights were chosen on Grocery train photos (not val): with the
    enrollment-fitted adapter, gate 10-12 / saturation 100 / weight 0.5 was best
    (train R@1 0.900 -> 0.920); see benchmarks/search/RESULTS.md.
    """

    enabled: bool = True
    top_products: int = 5
    ratio: float = 0.8
    ransac_pixels: float = 8.0
    min_inliers: int = 12
    saturation_inliers: int = 100
    weight: float = 0.5


def root_sift(descriptors: np.ndarray) -> np.ndarray:
    """RootSIFT (Hellinger kernel): L1-normalise, square-root; dot products then compare well."""
    values = descriptors.astype(np.float32)
    values /= np.maximum(values.sum(axis=1, keepdims=True), 1e-6)
    return np.sqrt(values)


def _ratio_matches(
    query: np.ndarray, stored: np.ndarray, ratio: float
) -> tuple[np.ndarray, np.ndarray]:
    """Stored-to-query nearest neighbours that pass Lowe's ratio test: (query idx, stored idx)."""
    similarity = stored @ query.T  # unit vectors: distance^2 = 2 - 2 * similarity
    rows = np.arange(len(stored))
    nearest = similarity.argmax(axis=1)
    first = similarity[rows, nearest]
    similarity[rows, nearest] = -np.inf  # two arg-max passes beat a partial sort here
    second = similarity.max(axis=1)
    d1 = np.sqrt(np.maximum(2 - 2 * first, 0))
    d2 = np.sqrt(np.maximum(2 - 2 * second, 0))
    keep = d1 < ratio * d2
    return nearest[keep], rows[keep]


def _homography_inliers(
    source: np.ndarray, target: np.ndarray, pixels: float, at_least: int = 6
) -> int:
    """RANSAC homography inliers; 0 without running RANSAC when fewer than ``at_least`` matches."""
    import cv2

    if len(source) < max(at_least, 6):
        return 0
    _, mask = cv2.findHomography(source, target, cv2.RANSAC, pixels, maxIters=300)
    return 0 if mask is None else int(mask.sum())


def count_inliers(query: LocalFeatures, stored: LocalFeatures, config: GeometryConfig) -> int:
    """Keypoint matches consistent with one homography (0 when too few to tell)."""
    if len(query) < 4 or len(stored) < 4:
        return 0
    query_idx, stored_idx = _ratio_matches(
        root_sift(query.descriptors), root_sift(stored.descriptors), config.ratio
    )
    return _homography_inliers(
        query.points[query_idx], stored.points[stored_idx], config.ransac_pixels
    )


def product_inliers(
    query: LocalFeatures, store: LocalFeatureStore, product_id: str, config: GeometryConfig
) -> int:
    """Best inlier count over the stored pictures of one product."""
    return verify_products(query, store, [product_id], config).get(product_id, 0)


def verify_products(
    query: LocalFeatures, store: LocalFeatureStore, product_ids: list[str], config: GeometryConfig
) -> dict[str, int]:
    """Best inlier count per product, all candidate pictures matched in one matrix product."""
    pictures = [(pid, f) for pid in product_ids for f in store.of_product(pid) if len(f) >= 4]
    if len(query) < 4 or not pictures:
        return {}
    stacked = np.concatenate([root_sift(features.descriptors) for _, features in pictures])
    query_idx, stored_idx = _ratio_matches(root_sift(query.descriptors), stacked, config.ratio)
    bounds = np.cumsum([0] + [len(features) for _, features in pictures])
    owner = np.searchsorted(bounds, stored_idx, side="right") - 1
    best: dict[str, int] = {}
    for number, (product_id, features) in enumerate(pictures):
        mine = owner == number
        inliers = _homography_inliers(
            query.points[query_idx[mine]],
            features.points[stored_idx[mine] - bounds[number]],
            config.ransac_pixels,
            at_least=config.min_inliers,  # below the gate the count would not matter
        )
        best[product_id] = max(best.get(product_id, 0), inliers)
    return best


def geometric_boost(inliers: int, config: GeometryConfig) -> float:
    """Score added to a candidate: 0 under the gate, growing to ``weight`` at saturation."""
    if inliers < config.min_inliers:
        return 0.0
    return config.weight * min(1.0, inliers / config.saturation_inliers)

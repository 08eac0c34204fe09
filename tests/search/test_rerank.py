"""Geometric verification: the same printed surface gives many inliers, another product few."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from vitrine.search.keypoints import LocalFeatureStore, extract_local_features
from vitrine.search.pipeline import PipelineConfig, ProductMatch, SearchPipeline
from vitrine.search.rerank import GeometryConfig, geometric_boost, product_inliers


def _label(seed: int) -> Image.Image:
    """A printed label: random text-like strokes and shapes, rich in corners."""
    rng = np.random.default_rng(seed)
    image = Image.new("RGB", (360, 360), "white")
    draw = ImageDraw.Draw(image)
    for _ in range(60):
        x, y = (int(v) for v in rng.integers(10, 330, 2))
        width, height = (int(v) for v in rng.integers(4, 30, 2))
        colour = tuple(int(v) for v in rng.integers(0, 200, 3))
        draw.rectangle([x, y, x + width, y + height], colour)
    return image


@pytest.fixture
def store() -> LocalFeatureStore:
    features = LocalFeatureStore()
    for product in range(3):
        features.add(f"img-{product}", f"p{product}", extract_local_features(_label(product)))
    return features


def test_same_label_rotated_has_many_inliers_others_few(store: LocalFeatureStore) -> None:
    photo = extract_local_features(_label(1).rotate(15, expand=True, fillcolor="grey"))
    config = GeometryConfig(min_inliers=50)
    same = product_inliers(photo, store, "p1", config)
    other = product_inliers(photo, store, "p2", config)
    assert same >= config.min_inliers > other
    assert same > 3 * other  # random rectangles share corners, so "other" is not zero
    assert geometric_boost(same, config) > 0 == geometric_boost(other, config)


def test_unknown_product_has_no_inliers(store: LocalFeatureStore) -> None:
    photo = extract_local_features(_label(1))
    assert product_inliers(photo, store, "nobody", GeometryConfig()) == 0


def test_store_round_trip_and_remove(store: LocalFeatureStore, tmp_path: Path) -> None:
    store.save(tmp_path / "keypoints.npz")
    loaded = LocalFeatureStore.load(tmp_path / "keypoints.npz")
    assert len(loaded) == 3
    np.testing.assert_array_equal(
        loaded.of_product("p1")[0].descriptors, store.of_product("p1")[0].descriptors
    )
    loaded.remove(["img-1"])
    assert loaded.of_product("p1") == []


def test_pipeline_promotes_the_verified_product(store: LocalFeatureStore) -> None:
    class Fixed:
        """An index whose embedding ranks p0 first, p1 a close second."""

        dim = 2

        def search(self, vector: object, k: int, allowed: object = None) -> list[object]:
            from vitrine.search.index import ImageHit, ImageRecord

            return [
                ImageHit(ImageRecord("img-0", "p0"), 0.80),
                ImageHit(ImageRecord("img-1", "p1"), 0.78),
            ]

    config = PipelineConfig(geometry=GeometryConfig(min_inliers=50), query_crops=False)
    pipeline = SearchPipeline(object(), Fixed(), config, store)  # type: ignore[arg-type]
    photo = _label(1).rotate(10, fillcolor="grey")
    answer = pipeline.search(photo, vector=np.zeros(2, np.float32))
    assert [match.product_id for match in answer.results] == ["p1", "p0"]
    assert answer.results[0].inliers >= 50 > answer.results[1].inliers
    assert "geometry" in answer.timings_ms
    assert isinstance(answer.results[0], ProductMatch)

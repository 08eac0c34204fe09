"""The search pipeline: one answer per product, showroom scope, "not found", bad uploads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pytest
from PIL import Image

from tests.search.pictures import draw_product, encode
from vitrine.search.confidence import ConfidenceModel
from vitrine.search.embedder import l2_normalise
from vitrine.search.images import ImageRejected
from vitrine.search.index import FaissIndex, ImageRecord
from vitrine.search.pipeline import PipelineConfig, SearchPipeline


class ThumbnailEmbedder:
    """A cheap stand-in for the network: the picture's 6x6 colour thumbnail, centred."""

    dim = 108

    def embed(self, images: Sequence[Image.Image]) -> np.ndarray:
        rows = [np.asarray(image.resize((6, 6)), np.float32).ravel() for image in images]
        matrix = np.stack(rows)
        return l2_normalise(matrix - matrix.mean(axis=1, keepdims=True))


def _noisy(image: Image.Image, seed: int) -> Image.Image:
    pixels = np.asarray(image, np.int16) + np.random.default_rng(seed).integers(-12, 12, (1,))
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


@pytest.fixture
def pipeline() -> SearchPipeline:
    embedder = ThumbnailEmbedder()
    index = FaissIndex(embedder.dim)
    for product in range(6):
        pictures = [draw_product(product), _noisy(draw_product(product), 100 + product)]
        records = [
            ImageRecord(f"p{product}-catalog", f"p{product}", "v1"),
            ImageRecord(f"p{product}-shop", f"p{product}", None, "enrollment", "paris"),
        ]
        index.add(records, embedder.embed(pictures))
    config = PipelineConfig(confidence=ConfidenceModel((10.0, 0.0, 0.0), -5.0))
    return SearchPipeline(embedder, index, config)


def test_the_photographed_product_comes_first_once(pipeline: SearchPipeline) -> None:
    answer = pipeline.search(_noisy(draw_product(3), 7), limit=4)
    assert answer.results[0].product_id == "p3"
    assert len(answer.results) == 4
    assert len({match.product_id for match in answer.results}) == 4
    assert answer.results[0].matched_image_id.startswith("p3-")
    assert not answer.not_found
    assert answer.best is answer.results[0]
    assert {"embed", "index", "total"} <= set(answer.timings_ms)


def test_showroom_scope_hides_other_products(pipeline: SearchPipeline) -> None:
    answer = pipeline.search(draw_product(3), showroom_product_ids={"p1", "p2"})
    assert {match.product_id for match in answer.results} == {"p1", "p2"}


def test_low_confidence_is_not_found(pipeline: SearchPipeline) -> None:
    undecided = ConfidenceModel((0.0, 0.0, 0.0), 0.0)  # always 50 %
    config = PipelineConfig(confidence=undecided, not_found_threshold=0.6)
    strict = SearchPipeline(pipeline.embedder, pipeline.index, config)
    answer = strict.search(draw_product(99))
    assert answer.not_found
    assert answer.confidence == pytest.approx(0.5)
    assert answer.best is None
    assert answer.results  # candidates are still shown, flagged as uncertain


def test_empty_catalog_is_not_found() -> None:
    empty = SearchPipeline(ThumbnailEmbedder(), FaissIndex(ThumbnailEmbedder.dim))
    answer = empty.search(draw_product(1))
    assert answer.not_found
    assert answer.results == []
    assert answer.confidence == 0.0


def test_search_bytes_decodes_and_times_the_upload(pipeline: SearchPipeline) -> None:
    answer = pipeline.search_bytes(encode(draw_product(2), "PNG"))
    assert answer.results[0].product_id == "p2"
    assert answer.timings_ms["decode"] >= 0
    assert answer.timings_ms["total"] >= answer.timings_ms["decode"]


@pytest.mark.parametrize("upload", [b"", b"GIF89a broken", encode(draw_product(1))[:500]])
def test_bad_upload_is_refused_and_changes_nothing(pipeline: SearchPipeline, upload: bytes) -> None:
    before = pipeline.index.records()
    with pytest.raises(ImageRejected):
        pipeline.search_bytes(upload)
    assert pipeline.index.records() == before


def test_crops_are_searched_only_when_the_whole_photo_is_ambiguous(
    pipeline: SearchPipeline,
) -> None:
    calls: list[int] = []
    embed = pipeline.embedder.embed

    def counting(images: Sequence[Image.Image]) -> np.ndarray:
        calls.append(len(images))
        return embed(images)

    pipeline.embedder.embed = counting  # type: ignore[method-assign]
    photo = _noisy(draw_product(2), 9)
    pipeline.config = replace(pipeline.config, crop_margin=0.0)  # never ambiguous
    clear = pipeline.search(photo)
    assert calls == [1] and "crops" not in clear.timings_ms
    calls.clear()
    pipeline.config = replace(pipeline.config, crop_margin=2.0)  # always ambiguous
    ambiguous = pipeline.search(photo)
    assert calls == [1, 5] and "crops" in ambiguous.timings_ms
    assert ambiguous.results[0].product_id == "p2"
    calls.clear()
    pipeline.config = replace(pipeline.config, query_crops=False)
    pipeline.search(photo)
    assert calls == [1]

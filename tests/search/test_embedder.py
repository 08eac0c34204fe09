"""The shipped ONNX model: loads once, gives unit vectors, sees the same product as similar."""

from __future__ import annotations

import numpy as np

from tests.search.pictures import draw_product
from vitrine.search.adapter import fit_adapter
from vitrine.search.embedder import DEFAULT_MODEL, EmbedderConfig, OnnxEmbedder, gem, onnx_session


def test_shipped_model_is_in_the_package_and_small() -> None:
    assert DEFAULT_MODEL.exists()
    assert DEFAULT_MODEL.stat().st_size < 25 * 1024 * 1024


def test_embeddings_are_unit_vectors_and_deterministic() -> None:
    embedder = OnnxEmbedder(EmbedderConfig(size=128, threads=1))
    pictures = [draw_product(1), draw_product(2), draw_product(1)]
    vectors = embedder.embed(pictures)
    assert vectors.shape == (3, 1280 + 112 + 192)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(vectors[0], vectors[2], atol=1e-5)
    assert vectors[0] @ vectors[2] > vectors[0] @ vectors[1]


def test_session_is_created_once_per_process() -> None:
    first = OnnxEmbedder(EmbedderConfig(threads=1)).session
    assert OnnxEmbedder(EmbedderConfig(threads=1, size=160)).session is first
    assert onnx_session(DEFAULT_MODEL, 1) is first


def test_no_pictures_give_an_empty_matrix() -> None:
    assert OnnxEmbedder(EmbedderConfig(threads=1)).embed([]).shape == (0, 1584)


def test_head_only_without_flip() -> None:
    config = EmbedderConfig(size=96, threads=1, stage_weights=(0.0, 0.0), flip=False)
    embedder = OnnxEmbedder(config)
    assert embedder.dim == 1280
    assert embedder.embed([draw_product(4)]).shape == (1, 1280)


def test_adapter_changes_the_dimension() -> None:
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(40, 1584)).astype(np.float32)
    adapter = fit_adapter(vectors, [str(n % 4) for n in range(40)], dim=16)
    embedder = OnnxEmbedder(EmbedderConfig(size=96, threads=1), adapter=adapter)
    assert embedder.dim == 3  # products - 1
    assert embedder.embed([draw_product(3)]).shape == (1, 3)


def test_gem_with_power_one_is_the_mean() -> None:
    maps = np.random.default_rng(1).random((2, 4, 3, 3)).astype(np.float32)
    np.testing.assert_allclose(gem(maps, 1.0), maps.mean(axis=(2, 3)), rtol=1e-5)


def test_multi_scale_adds_a_second_size() -> None:
    single = OnnxEmbedder(EmbedderConfig(size=96, threads=1))
    multi = OnnxEmbedder(EmbedderConfig(size=96, extra_sizes=(128,), threads=1))
    picture = [draw_product(5)]
    assert multi.dim == single.dim
    np.testing.assert_allclose(np.linalg.norm(multi.embed(picture)), 1.0, atol=1e-5)
    assert not np.allclose(multi.embed(picture), single.embed(picture))

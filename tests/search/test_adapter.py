"""The discriminant adapter and the confidence model: fitted in closed form, saved, reloaded."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vitrine.search.adapter import Adapter, fit_adapter
from vitrine.search.confidence import ConfidenceModel, answer_cues, fit_confidence
from vitrine.search.pipeline import ProductMatch


def _clusters(seed: int = 0) -> tuple[np.ndarray, list[str]]:
    """Products that differ along a few directions, with strong shared nuisance elsewhere."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(5, 32)) * np.r_[np.ones(4), np.zeros(28)]
    labels = [n % 5 for n in range(100)]
    nuisance = rng.normal(size=(100, 32)) * np.r_[0.3 * np.ones(4), 3 * np.ones(28)]
    return (centres[labels] + nuisance).astype(np.float32), [f"p{label}" for label in labels]


def _nearest_accuracy(vectors: np.ndarray, labels: list[str]) -> float:
    similarity = vectors @ vectors.T
    np.fill_diagonal(similarity, -np.inf)
    return float(np.mean([labels[i] == labels[j] for i, j in enumerate(similarity.argmax(1))]))


def test_adapter_brings_pictures_of_a_product_together() -> None:
    vectors, labels = _clusters()
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    adapter = fit_adapter(vectors, labels, dim=8)
    assert adapter.dim == 4
    assert _nearest_accuracy(adapter.apply(vectors), labels) > _nearest_accuracy(unit, labels) + 0.2


def test_adapter_needs_two_products() -> None:
    with pytest.raises(ValueError):
        fit_adapter(np.ones((3, 4)), ["a", "a", "a"])


def test_adapter_round_trip(tmp_path: Path) -> None:
    vectors, labels = _clusters(1)
    adapter = fit_adapter(vectors, labels)
    adapter.save(tmp_path / "adapter.npz")
    loaded = Adapter.load(tmp_path / "adapter.npz")
    np.testing.assert_allclose(loaded.apply(vectors), adapter.apply(vectors), atol=1e-6)


def test_confidence_rises_with_score_and_margin() -> None:
    rng = np.random.default_rng(2)
    zeros = np.zeros(200)
    right = np.column_stack([rng.normal(0.8, 0.05, 200), rng.normal(0.2, 0.05, 200), zeros])
    wrong = np.column_stack([rng.normal(0.6, 0.05, 200), rng.normal(0.05, 0.03, 200), zeros])
    model = fit_confidence(np.vstack([right, wrong]), np.r_[np.ones(200), np.zeros(200)])
    sure = [ProductMatch("a", 0.85, "i1"), ProductMatch("b", 0.6, "i2")]
    unsure = [ProductMatch("a", 0.6, "i1"), ProductMatch("b", 0.58, "i2")]
    assert model.probability(sure) > 0.9 > 0.1 > model.probability(unsure)
    assert ConfidenceModel().probability([]) == 0.0


def test_answer_cues_of_a_single_match() -> None:
    cues = answer_cues([ProductMatch("a", 0.7, "i", inliers=3)])
    np.testing.assert_allclose(cues, [0.7, 0.7, np.log(4)])

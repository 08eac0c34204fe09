"""A linear adaptation of the embedding space, fitted on the shop's catalog and enrollment photos.

Fisher discriminant analysis (closed form, seconds on a CPU): directions in
which pictures of the same product stay close and different products move
apart. It needs several pictures per product, which in-store enrollment photos
provide. Fit it again, and rebuild the index, whenever the catalog changes a lot.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vitrine.search.embedder import l2_normalise


@dataclass(frozen=True)
class Adapter:
    """``unit((x - mean) @ matrix)``: maps backbone descriptors to the adapted space."""

    mean: np.ndarray
    matrix: np.ndarray

    @property
    def dim(self) -> int:
        return int(self.matrix.shape[1])

    def apply(self, vectors: np.ndarray) -> np.ndarray:
        """Adapted, L2-normalised float32 vectors."""
        return l2_normalise((np.asarray(vectors, np.float32) - self.mean) @ self.matrix)

    def save(self, path: Path) -> None:
        """Write to an ``.npz`` file (written aside, then renamed)."""
        partial = Path(path).with_suffix(".partial.npz")
        np.savez(partial, mean=self.mean, matrix=self.matrix)
        partial.replace(path)

    @classmethod
    def load(cls, path: Path) -> Adapter:
        with np.load(path) as stored:
            return cls(stored["mean"].astype(np.float32), stored["matrix"].astype(np.float32))


def _scatter(vectors: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Within-class and between-class scatter matrices, and the number of classes."""
    classes, index = np.unique(labels, return_inverse=True)
    counts = np.bincount(index).astype(np.float64)
    sums = np.zeros((len(classes), vectors.shape[1]))
    np.add.at(sums, index, vectors)
    means = sums / counts[:, None]
    within = vectors - means[index]
    centred_means = means - vectors.mean(0)
    return (
        within.T @ within / len(vectors),
        centred_means.T @ centred_means / len(classes),
        len(classes),
    )


def _data_span(data: np.ndarray) -> np.ndarray:
    """Orthonormal basis (dim, rank) of the centred data: both scatters live in it.

    With fewer pictures than dimensions this makes the fit exact and much cheaper.
    """
    if data.shape[0] > data.shape[1]:
        return np.eye(data.shape[1])
    _, singular, rows = np.linalg.svd(data - data.mean(0), full_matrices=False)
    return np.asarray(rows[singular > singular[0] * 1e-6].T)


def fit_adapter(
    vectors: np.ndarray, product_ids: Sequence[str], dim: int = 128, shrinkage: float = 0.1
) -> Adapter:
    """Fit the discriminant projection on labelled descriptors (rows of ``vectors``).

    ``shrinkage`` blends the within-product scatter with the identity so few
    photos per product do not over-fit; ``dim`` is capped at products - 1.
    """
    data = np.asarray(vectors, np.float64)
    labels = np.asarray(product_ids)
    basis = _data_span(data)
    within, between, n_classes = _scatter(data @ basis, labels)
    if n_classes < 2:
        raise ValueError("an adapter needs pictures of at least two products")
    size = within.shape[0]
    within = (1 - shrinkage) * within + shrinkage * np.trace(within) / size * np.eye(size)
    values, vectors_w = np.linalg.eigh(within)
    whitening = vectors_w / np.sqrt(np.maximum(values, 1e-12))
    spread = whitening.T @ between @ whitening
    _, directions = np.linalg.eigh(spread)
    keep = min(dim, n_classes - 1)
    matrix = basis @ whitening @ directions[:, ::-1][:, :keep]
    return Adapter(data.mean(0).astype(np.float32), matrix.astype(np.float32))

"""One state of the search index: vectors, keypoints and adapter that belong together.

A state is never changed once searches read it: a change copies it, changes the copy and
swaps it in by reference, so searches run side by side with no lock. It is saved to (and
loaded from) one generation folder of ``generations.GenerationStore``.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

import numpy as np
from PIL import Image

from vitrine.search.adapter import Adapter, fit_adapter
from vitrine.search.embedder import OnnxEmbedder
from vitrine.search.index import MANIFEST, FaissIndex, ImageRecord, IndexCorrupted, VectorIndex
from vitrine.search.keypoints import LocalFeatures, LocalFeatureStore
from vitrine.search.raw_vectors import RawVectors

log = logging.getLogger("vitrine.search")
FEATURES_FILE = "local-features.npz"
RAW_FILE = "raw-vectors.npz"
ADAPTER_FILE = "adapter.npz"
# The adapter needs several pictures per product: fit it once this many products have 2+.
ADAPTER_MIN_PRODUCTS = 10


class IndexFactory(Protocol):
    """Makes the empty vector index of a state (FAISS here, or a shared Milvus collection)."""

    shared: bool

    def empty(self, dim: int) -> VectorIndex: ...

    def load(self, folder: Path, dim: int, expected: int) -> VectorIndex | None: ...


class FaissIndexFactory:
    shared = False

    def empty(self, dim: int) -> VectorIndex:
        return FaissIndex(dim)

    def load(self, folder: Path, dim: int, expected: int) -> VectorIndex | None:
        if not (folder / MANIFEST).is_file():
            return None
        try:
            index = FaissIndex.load(folder)
        except IndexCorrupted as error:
            log.warning("%s; it will be rebuilt from the database", error)
            return None
        return index if index.dim == dim and len(index) == expected else None


class MilvusIndexFactory:
    """Every process searches the same Milvus collection (it persists changes itself)."""

    shared = True

    def __init__(self, uri: str) -> None:
        self.uri = uri

    def empty(self, dim: int) -> VectorIndex:
        from vitrine.search.milvus_index import MilvusIndex

        index = MilvusIndex(self.uri, dim)
        index.clear(dim)
        return index

    def load(self, folder: Path, dim: int, expected: int) -> VectorIndex | None:
        from vitrine.search.milvus_index import MilvusIndex

        kept = MilvusIndex(self.uri, dim)
        return kept if kept.dim == dim and len(kept) == expected > 0 else None


@dataclass(frozen=True)
class IndexState:
    """Raw vectors (+ training views), keypoints, adapter and the adapted index, together."""

    raw: RawVectors
    features: LocalFeatureStore
    adapter: Adapter | None
    index: VectorIndex
    generation: str = ""  # the saved generation it is; "" when not saved

    def image_ids(self) -> set[str]:
        return self.raw.image_ids()

    def copy(self, factory: IndexFactory) -> IndexState:
        """A copy to change; a shared (Milvus) index is changed in place."""
        index = self.index
        if not factory.shared and isinstance(index, FaissIndex):
            index = index.copy()
        return replace(self, raw=self.raw.copy(), features=self.features.copy(), index=index)


def empty_state(factory: IndexFactory, dim: int) -> IndexState:
    return IndexState(RawVectors(), LocalFeatureStore(), None, factory.empty(dim))


def with_pictures(
    state: IndexState,
    records: list[ImageRecord],
    raw: np.ndarray,
    features: list[LocalFeatures],
) -> IndexState:
    """``state`` (a copy) with these pictures added, under its current adapter."""
    if records:
        state.raw.add(records, raw)
        state.index.add(records, raw if state.adapter is None else state.adapter.apply(raw))
        for record, found in zip(records, features, strict=True):
            state.features.add(record.image_id, record.product_id, found)
    return state


def without_pictures(state: IndexState, image_ids: set[str]) -> IndexState:
    if image_ids:
        state.index.remove(image_ids)
        state.features.remove(image_ids)
        state.raw.remove(image_ids)
    return state


def refitted(state: IndexState, factory: IndexFactory, raw_dim: int) -> IndexState:
    """The adapter fitted again on the state's pictures and views, and the index rebuilt."""
    records, raw = state.raw.all()
    fit_vectors, fit_products = state.raw.training_set()
    per_product = Counter(fit_products)
    adapter: Adapter | None = None
    vectors = raw
    if sum(1 for n in per_product.values() if n >= 2) >= ADAPTER_MIN_PRODUCTS:
        adapter = fit_adapter(fit_vectors, fit_products)
        vectors = adapter.apply(raw)
    index = factory.empty(adapter.dim if adapter else raw_dim)
    if records:
        index.add(records, vectors)
    return replace(state, adapter=adapter, index=index)


def save_state(state: IndexState, folder: Path) -> None:
    state.index.save(folder)
    state.features.save(folder / FEATURES_FILE)
    state.raw.save(folder / RAW_FILE)
    if state.adapter is not None:
        state.adapter.save(folder / ADAPTER_FILE)


def load_state(folder: Path, factory: IndexFactory, raw_dim: int) -> IndexState | None:
    """The state saved in ``folder``, or None when it is incomplete or unreadable."""
    raw = RawVectors.load(folder / RAW_FILE)
    adapter: Adapter | None = None
    if (folder / ADAPTER_FILE).is_file():
        try:
            adapter = Adapter.load(folder / ADAPTER_FILE)
        except (OSError, ValueError, KeyError):
            return None
    index = factory.load(folder, adapter.dim if adapter else raw_dim, len(raw))
    if index is None or not (folder / FEATURES_FILE).is_file():
        return None
    try:
        features = LocalFeatureStore.load(folder / FEATURES_FILE)
    except (OSError, ValueError, KeyError) as error:
        log.warning("local features unreadable (%s); the index will be rebuilt", error)
        return None
    return IndexState(raw, features, adapter, index)


class AdaptedEmbedder:
    """The backbone's descriptors mapped by one state's adapter (what its index holds)."""

    def __init__(self, backbone: OnnxEmbedder, adapter: Adapter | None) -> None:
        self.backbone = backbone
        self.adapter = adapter

    @property
    def dim(self) -> int:
        return self.backbone.config.dim if self.adapter is None else self.adapter.dim

    def embed(self, images: Sequence[Image.Image]) -> np.ndarray:
        raw = self.backbone.raw(images)
        return raw if self.adapter is None else self.adapter.apply(raw)

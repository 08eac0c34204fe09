"""The catalog's image vectors: which picture shows which product, and nearest-neighbour search.

``VectorIndex`` is the interface the search pipeline needs; ``FaissIndex`` is
the embedded implementation (FAISS, exact inner product by default, IVF for
millions of images). A distributed engine (e.g. Milvus) can sit behind the
same Protocol. Vectors are L2-normalised, so inner product is cosine.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np

ImageSource = Literal["catalog", "enrollment"]
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class ImageRecord:
    """One indexed picture of a product: a catalog image or an in-store enrollment photo."""

    image_id: str
    product_id: str
    variant_id: str | None = None
    source: ImageSource = "catalog"
    showroom_id: str | None = None


@dataclass(frozen=True)
class ImageHit:
    """A nearest picture and its cosine similarity to the query."""

    record: ImageRecord
    score: float


class IndexCorrupted(RuntimeError):
    """The saved index cannot be read back."""


class VectorIndex(Protocol):
    """What the search pipeline needs from an index backend."""

    dim: int

    def add(self, records: Sequence[ImageRecord], vectors: np.ndarray) -> None: ...

    def remove(self, image_ids: Iterable[str]) -> int: ...

    def search(
        self, vector: np.ndarray, k: int, allowed_product_ids: Collection[str] | None = None
    ) -> list[ImageHit]: ...

    def records(self) -> list[ImageRecord]: ...

    def save(self, directory: Path) -> None: ...

    def __len__(self) -> int: ...


def _fsync_write(path: Path, payload: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(payload)
        handle.flush()
        os.fsync(handle.fileno())


def _check_batch(records: Sequence[ImageRecord], vectors: np.ndarray, dim: int) -> np.ndarray:
    matrix = np.ascontiguousarray(vectors, dtype=np.float32)
    if matrix.ndim != 2 or matrix.shape != (len(records), dim):
        raise ValueError(f"expected vectors of shape ({len(records)}, {dim}), got {matrix.shape}")
    if not np.isfinite(matrix).all():
        raise ValueError("vectors contain NaN or infinity")
    ids = [record.image_id for record in records]
    if len(set(ids)) != len(ids):
        raise ValueError("duplicate image_id in the batch")
    return matrix


class FaissIndex:
    """FAISS inner-product index keyed by ``image_id``, persisted crash-safely to a directory.

    ``factory`` is a FAISS index factory string: ``"Flat"`` (exact, the default,
    fine up to a few hundred thousand images) or e.g. ``"IVF4096,SQ8"`` for
    millions (must then be trained with ``train`` before the first ``add``).
    """

    def __init__(self, dim: int, factory: str = "Flat", nprobe: int = 32):
        import faiss

        self.dim = dim
        self.factory = factory
        self.nprobe = nprobe
        inner = faiss.index_factory(dim, factory, faiss.METRIC_INNER_PRODUCT)
        self._faiss: Any = faiss.IndexIDMap2(inner) if factory == "Flat" else inner
        self._records: dict[int, ImageRecord] = {}
        self._key_of: dict[str, int] = {}
        self._keys_of_product: dict[str, set[int]] = defaultdict(set)
        self._next_key = 0

    def __len__(self) -> int:
        return len(self._records)

    def _remember(self, key: int, record: ImageRecord) -> None:
        self._records[key] = record
        self._key_of[record.image_id] = key
        self._keys_of_product[record.product_id].add(key)

    def records(self) -> list[ImageRecord]:
        """Every indexed picture, in insertion order."""
        return [self._records[key] for key in sorted(self._records)]

    def copy(self) -> FaissIndex:
        """An independent copy: changing it never disturbs searches on this one."""
        import faiss

        twin = FaissIndex.__new__(FaissIndex)
        twin.dim, twin.factory, twin.nprobe = self.dim, self.factory, self.nprobe
        twin._faiss = faiss.clone_index(self._faiss)
        twin._records = dict(self._records)
        twin._key_of = dict(self._key_of)
        twin._keys_of_product = defaultdict(
            set, {product: set(keys) for product, keys in self._keys_of_product.items()}
        )
        twin._next_key = self._next_key
        return twin

    def train(self, sample: np.ndarray) -> None:
        """Fit the coarse quantiser of an IVF index on a representative sample."""
        self._faiss.train(np.ascontiguousarray(sample, dtype=np.float32))

    def add(self, records: Sequence[ImageRecord], vectors: np.ndarray) -> None:
        """Index pictures; an ``image_id`` already present is replaced."""
        matrix = _check_batch(records, vectors, self.dim)
        if not records:
            return
        self.remove([record.image_id for record in records if record.image_id in self._key_of])
        keys = np.arange(self._next_key, self._next_key + len(records), dtype=np.int64)
        self._faiss.add_with_ids(matrix, keys)
        self._next_key += len(records)
        for key, record in zip(keys.tolist(), records, strict=True):
            self._remember(key, record)

    def remove(self, image_ids: Iterable[str]) -> int:
        """Forget pictures by id; returns how many were present."""
        import faiss

        keys = [self._key_of.pop(image_id) for image_id in image_ids if image_id in self._key_of]
        if not keys:
            return 0
        for key in keys:
            self._keys_of_product[self._records.pop(key).product_id].discard(key)
        self._faiss.remove_ids(faiss.IDSelectorBatch(np.asarray(keys, dtype=np.int64)))
        return len(keys)

    def _params(self, allowed_product_ids: Collection[str] | None) -> Any:
        import faiss as faiss_module

        faiss: Any = faiss_module  # the stubs lack the keyword constructors

        if allowed_product_ids is None:
            return faiss.SearchParametersIVF(nprobe=self.nprobe) if "IVF" in self.factory else None
        keys = [
            key
            for product_id in set(allowed_product_ids)
            for key in self._keys_of_product.get(product_id, ())
        ]
        selector = faiss.IDSelectorBatch(np.asarray(keys, dtype=np.int64))
        if "IVF" in self.factory:
            return faiss.SearchParametersIVF(sel=selector, nprobe=self.nprobe)
        return faiss.SearchParameters(sel=selector)

    def search(
        self, vector: np.ndarray, k: int, allowed_product_ids: Collection[str] | None = None
    ) -> list[ImageHit]:
        """The ``k`` most similar pictures, optionally only of ``allowed_product_ids``."""
        if not self._records or k <= 0:
            return []
        query = np.ascontiguousarray(vector, dtype=np.float32).reshape(1, self.dim)
        params = self._params(allowed_product_ids)
        scores, keys = self._faiss.search(query, min(k, len(self._records)), params=params)
        return [
            ImageHit(self._records[key], float(score))
            for score, key in zip(scores[0].tolist(), keys[0].tolist(), strict=True)
            if key >= 0
        ]

    def vectors(self, image_ids: Sequence[str]) -> np.ndarray:
        """Stored vectors of the given pictures (Flat indexes only)."""
        keys = [self._key_of[image_id] for image_id in image_ids]
        return np.stack([self._faiss.reconstruct(key) for key in keys]).astype(np.float32)

    def save(self, directory: Path) -> None:
        """Write a new generation aside, then switch ``manifest.json`` with one atomic rename.

        A crash at any point leaves the previous generation loadable.
        """
        import faiss

        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        generation = _current_generation(directory) + 1
        vectors_name, records_name = f"vectors-{generation}.faiss", f"records-{generation}.json"
        faiss.write_index(self._faiss, str(directory / (vectors_name + ".tmp")))
        os.replace(directory / (vectors_name + ".tmp"), directory / vectors_name)
        payload = {"next_key": self._next_key, "records": self._records_payload()}
        _fsync_write(directory / records_name, json.dumps(payload).encode())
        manifest = {
            "generation": generation,
            "dim": self.dim,
            "factory": self.factory,
            "vectors": vectors_name,
            "records": records_name,
        }
        _fsync_write(directory / (MANIFEST + ".tmp"), json.dumps(manifest).encode())
        os.replace(directory / (MANIFEST + ".tmp"), directory / MANIFEST)
        _remove_stale(directory, keep={vectors_name, records_name, MANIFEST})

    def _records_payload(self) -> list[dict[str, Any]]:
        return [{"key": key, **asdict(record)} for key, record in self._records.items()]

    @classmethod
    def load(cls, directory: Path, nprobe: int = 32) -> FaissIndex:
        """Read the generation named by ``manifest.json``."""
        import faiss

        directory = Path(directory)
        try:
            manifest = json.loads((directory / MANIFEST).read_text())
            payload = json.loads((directory / manifest["records"]).read_text())
            native = faiss.read_index(str(directory / manifest["vectors"]))
        except (OSError, ValueError, KeyError, RuntimeError) as error:
            raise IndexCorrupted(
                f"cannot load the search index from {directory}: {error}"
            ) from error
        index = cls(manifest["dim"], manifest["factory"], nprobe=nprobe)
        index._faiss = native
        index._next_key = payload["next_key"]
        for row in payload["records"]:
            key = row.pop("key")
            record = ImageRecord(**row)
            index._remember(key, record)
        return index

    @classmethod
    def rebuild(
        cls, records: Sequence[ImageRecord], vectors: np.ndarray, factory: str = "Flat"
    ) -> FaissIndex:
        """A fresh index holding exactly ``records`` (e.g. rebuilt from the database)."""
        index = cls(int(np.asarray(vectors).shape[1]), factory)
        if "IVF" in factory:
            index.train(vectors)
        index.add(records, vectors)
        return index


def _current_generation(directory: Path) -> int:
    try:
        return int(json.loads((directory / MANIFEST).read_text())["generation"])
    except (OSError, ValueError, KeyError):
        return 0


def _remove_stale(directory: Path, keep: set[str]) -> None:
    for path in directory.iterdir():
        stale = path.name.startswith(("vectors-", "records-")) or path.name.endswith(".tmp")
        if stale and path.name not in keep:
            path.unlink(missing_ok=True)

"""Backbone vectors of the indexed pictures and their training views, kept for the adapter.

The index holds adapted vectors; refitting the adapter needs the raw ones, so
they are kept beside it (one ``.npz``, written aside then renamed).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection, Sequence
from dataclasses import asdict
from itertools import groupby
from pathlib import Path

import numpy as np

from vitrine.search.index import ImageRecord

log = logging.getLogger("vitrine.search")


class RawVectors:
    """Backbone vectors of the indexed pictures, kept so the adapter can be refitted."""

    def __init__(self) -> None:
        self._rows: dict[str, tuple[ImageRecord, np.ndarray]] = {}
        self._views: dict[str, np.ndarray] = {}  # image id -> (views, dim) training views

    def __len__(self) -> int:
        return len(self._rows)

    def copy(self) -> RawVectors:
        """An independent copy (the vector arrays themselves are shared: never changed)."""
        twin = RawVectors()
        twin._rows = dict(self._rows)
        twin._views = dict(self._views)
        return twin

    def image_ids(self) -> set[str]:
        return set(self._rows)

    def add(self, records: Sequence[ImageRecord], vectors: np.ndarray) -> None:
        for record, vector in zip(records, vectors, strict=True):
            self._rows[record.image_id] = (record, np.asarray(vector, np.float32))

    def remove(self, image_ids: Collection[str]) -> None:
        for image_id in image_ids:
            self._rows.pop(image_id, None)
            self._views.pop(image_id, None)

    def add_views(self, image_id: str, vectors: np.ndarray) -> None:
        """Training views of an indexed picture (ignored if the picture is not indexed)."""
        if image_id in self._rows and len(vectors):
            self._views[image_id] = np.asarray(vectors, np.float32)

    def viewed(self) -> set[str]:
        """Ids of the pictures that have training views."""
        return set(self._views)

    def without_views(self, image_ids: Collection[str]) -> list[str]:
        """Those of ``image_ids`` that are indexed but have no training views yet."""
        return [i for i in image_ids if i in self._rows and i not in self._views]

    def training_set(self) -> tuple[np.ndarray, list[str]]:
        """Every picture's vector and its training views, with their product ids."""
        records, vectors = self.all()
        products = [record.product_id for record in records]
        parts = [vectors] if records else []
        for image_id, views in self._views.items():
            parts.append(views)
            products += [self._rows[image_id][0].product_id] * len(views)
        return (np.concatenate(parts) if parts else vectors), products

    def all(self) -> tuple[list[ImageRecord], np.ndarray]:
        records = [record for record, _ in self._rows.values()]
        if not records:
            return [], np.zeros((0, 1), np.float32)
        return records, np.stack([vector for _, vector in self._rows.values()])

    def save(self, path: Path) -> None:
        records, vectors = self.all()
        fields = [json.dumps(asdict(record)) for record in records]
        view_ids = [image_id for image_id, views in self._views.items() for _ in views]
        view_vectors = (
            np.concatenate(list(self._views.values()))
            if self._views
            else np.zeros((0, vectors.shape[1]), np.float32)
        )
        partial = path.with_suffix(".partial.npz")
        np.savez(
            partial,
            records=np.array(fields),
            vectors=vectors,
            view_ids=np.array(view_ids, dtype=str),
            view_vectors=view_vectors,
        )
        partial.replace(path)

    @classmethod
    def load(cls, path: Path) -> RawVectors:
        loaded = cls()
        if not path.is_file():
            return loaded
        try:
            with np.load(path) as stored:
                records = [ImageRecord(**json.loads(str(f))) for f in stored["records"]]
                vectors = stored["vectors"]
                files = set(stored.files)
                view_ids = stored["view_ids"] if "view_ids" in files else np.array([], str)
                view_vectors = stored["view_vectors"] if "view_vectors" in files else vectors[:0]
        except (OSError, ValueError, KeyError, TypeError):
            log.warning("raw vectors unreadable; the index will be rebuilt")
            return loaded
        loaded.add(records, vectors[: len(records)])
        start = 0
        for image_id, group in groupby(str(i) for i in view_ids):
            count = sum(1 for _ in group)
            loaded.add_views(image_id, view_vectors[start : start + count])
            start += count
        return loaded

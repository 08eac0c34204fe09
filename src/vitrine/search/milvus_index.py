"""The vector index on Milvus, for catalogs that outgrow one machine (same Protocol as FAISS).

`uri` is a Milvus server (`http://milvus:19530`) or, embedded and for tests, a milvus-lite
file (`/data/index/pictures.db`). Milvus persists every insert and delete itself, so `save`
has nothing to write. pymilvus is imported lazily: the embedded default never needs it.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from vitrine.search.index import ImageHit, ImageRecord

FIELDS = ("product_id", "variant_id", "source", "showroom_id")
PAGE = 1000


def is_available() -> bool:
    try:
        import pymilvus  # noqa: F401
    except ImportError:
        return False
    return True


def _quoted(values: Iterable[str]) -> str:
    return "[" + ", ".join(json.dumps(value) for value in values) + "]"


class MilvusIndex:
    """Inner-product search over unit vectors in one Milvus collection, keyed by image_id."""

    def __init__(self, uri: str, dim: int, collection: str = "vitrine_pictures") -> None:
        from pymilvus import MilvusClient

        self.dim = dim
        self.collection = collection
        self._client: Any = MilvusClient(uri)
        if self._client.has_collection(collection):
            fields = self._client.describe_collection(collection)["fields"]
            vector = next(field for field in fields if field["name"] == "vector")
            self.dim = int(vector["params"]["dim"])
        else:
            self._create()

    def _create(self) -> None:
        self._client.create_collection(
            self.collection,
            dimension=self.dim,
            primary_field_name="image_id",
            id_type="string",
            max_length=64,
            metric_type="IP",
            auto_id=False,
        )

    def clear(self, dim: int | None = None) -> None:
        """Start the collection again, empty (e.g. after the adapter changed the dimension)."""
        self._client.drop_collection(self.collection)
        self.dim = dim or self.dim
        self._create()

    def __len__(self) -> int:
        counted = self._client.query(
            self.collection, filter='image_id != ""', output_fields=["count(*)"]
        )
        return int(counted[0]["count(*)"])

    def add(self, records: Sequence[ImageRecord], vectors: np.ndarray) -> None:
        matrix = np.asarray(vectors, dtype=np.float32)
        if matrix.shape != (len(records), self.dim):
            raise ValueError(f"expected vectors of shape ({len(records)}, {self.dim})")
        if not records:
            return
        rows = [
            {
                "image_id": record.image_id,
                "vector": vector.tolist(),
                **{name: getattr(record, name) or "" for name in FIELDS},
            }
            for record, vector in zip(records, matrix, strict=True)
        ]
        self._client.upsert(self.collection, rows)

    def remove(self, image_ids: Iterable[str]) -> int:
        ids = list(image_ids)
        if not ids:
            return 0
        present = self._client.get(self.collection, ids=ids, output_fields=["image_id"])
        self._client.delete(self.collection, ids=ids)
        return len(present)

    def search(
        self, vector: np.ndarray, k: int, allowed_product_ids: Collection[str] | None = None
    ) -> list[ImageHit]:
        if k <= 0 or (allowed_product_ids is not None and not allowed_product_ids):
            return []
        found = self._client.search(
            self.collection,
            data=[np.asarray(vector, np.float32).tolist()],
            limit=k,
            filter=f"product_id in {_quoted(allowed_product_ids)}" if allowed_product_ids else "",
            output_fields=list(FIELDS),
        )
        return [
            ImageHit(_record(hit["image_id"], hit["entity"]), float(hit["distance"]))
            for hit in found[0]
        ]

    def records(self) -> list[ImageRecord]:
        rows: list[dict[str, Any]] = []
        offset = 0
        while True:
            page = self._client.query(
                self.collection,
                filter='image_id != ""',
                output_fields=["image_id", *FIELDS],
                limit=PAGE,
                offset=offset,
            )
            rows.extend(page)
            if len(page) < PAGE:
                return [_record(row["image_id"], row) for row in rows]
            offset += PAGE

    def save(self, directory: Path) -> None:
        """Milvus has already persisted every change."""


def _record(image_id: str, fields: dict[str, Any]) -> ImageRecord:
    source = "enrollment" if fields.get("source") == "enrollment" else "catalog"
    return ImageRecord(
        image_id=image_id,
        product_id=str(fields["product_id"]),
        variant_id=fields.get("variant_id") or None,
        source=source,  # type: ignore[arg-type]
        showroom_id=fields.get("showroom_id") or None,
    )

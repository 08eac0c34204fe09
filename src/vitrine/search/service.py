"""The search engine of one process, kept in step with the catalog's product pictures.

The database is the source of truth (product_images); the FAISS index and the local
features in the data directory are a cache of it: loaded at start, caught up with
`sync`, rebuilt from the database when missing or unreadable, saved crash-safely.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image
from sqlalchemy.orm import Session
from tqdm import tqdm

from vitrine.catalog import service as catalog
from vitrine.catalog.service import ImageRow
from vitrine.media import MediaStore
from vitrine.search.embedder import Embedder, OnnxEmbedder
from vitrine.search.images import ImageLimits, ImageRejected, load_image
from vitrine.search.index import FaissIndex, ImageRecord, IndexCorrupted
from vitrine.search.keypoints import LocalFeatureStore, extract_local_features
from vitrine.search.pipeline import PipelineConfig, SearchAnswer, SearchPipeline

log = logging.getLogger("vitrine.search")
FEATURES_FILE = "local-features.npz"
BATCH = 16


@dataclass(frozen=True)
class SyncReport:
    added: int
    removed: int
    unreadable: list[str]


def _record(row: ImageRow) -> ImageRecord:
    if row.source == "enrollment":
        return ImageRecord(
            row.image_id, row.product_id, row.variant_id, "enrollment", row.showroom_id
        )
    return ImageRecord(row.image_id, row.product_id, row.variant_id, "catalog", row.showroom_id)


class SearchEngine:
    """Embedder + vector index + local features; thread-safe; one per process."""

    def __init__(
        self,
        *,
        index_dir: Path,
        media: MediaStore,
        config: PipelineConfig | None = None,
        embedder: Embedder | None = None,
    ) -> None:
        self.index_dir = index_dir
        self.media = media
        self._lock = threading.RLock()
        self.embedder = embedder or OnnxEmbedder()
        self.index = self._load_index()
        self.local_features = self._load_features()
        self.pipeline = SearchPipeline(self.embedder, self.index, config, self.local_features)

    def _load_index(self) -> FaissIndex:
        if (self.index_dir / "manifest.json").is_file():
            try:
                return FaissIndex.load(self.index_dir)
            except IndexCorrupted as error:
                log.warning("%s; it will be rebuilt from the database", error)
        return FaissIndex(self.embedder.dim)

    def _load_features(self) -> LocalFeatureStore:
        path = self.index_dir / FEATURES_FILE
        if path.is_file():
            try:
                return LocalFeatureStore.load(path)
            except (OSError, ValueError, KeyError) as error:
                log.warning("local features unreadable (%s); they will be rebuilt", error)
                self.index = FaissIndex(self.embedder.dim)  # rebuild both together
        return LocalFeatureStore()

    def __len__(self) -> int:
        return len(self.index)

    def sync(self, *, db_session: Session, progress: bool = False) -> SyncReport:
        """Index every stored picture not yet indexed; drop what the database no longer has."""
        rows = catalog.all_product_images(db_session=db_session)
        with self._lock:
            indexed = {record.image_id for record in self.index.records()}
            wanted = {row.image_id for row in rows}
            stale = indexed - wanted
            if stale:
                self.index.remove(stale)
                self.local_features.remove(stale)
            missing = [row for row in rows if row.image_id not in indexed]
            unreadable = self.add(missing, progress=progress)
            if missing or stale:
                self.save()
        return SyncReport(len(missing) - len(unreadable), len(stale), unreadable)

    def add(self, rows: Sequence[ImageRow], *, progress: bool = False) -> list[str]:
        """Embed and index stored pictures; returns the ids of pictures that could not be read."""
        unreadable: list[str] = []
        batches = range(0, len(rows), BATCH)
        for start in tqdm(batches, desc="indexing", unit="batch", disable=not progress):
            pictures, records = [], []
            for row in rows[start : start + BATCH]:
                picture = self._picture(row)
                if picture is None:
                    unreadable.append(row.image_id)
                    continue
                pictures.append(picture)
                records.append(_record(row))
            self._index_batch(records, pictures)
        return unreadable

    def _picture(self, row: ImageRow) -> Image.Image | None:
        try:
            return load_image(self.media.path_of(row.media_key).read_bytes(), max_side=1024)
        except (OSError, KeyError, ImageRejected) as error:
            log.warning("product picture %s cannot be indexed: %s", row.image_id, error)
            return None

    def _index_batch(self, records: list[ImageRecord], pictures: list[Image.Image]) -> None:
        if not records:
            return
        vectors = self.embedder.embed(pictures)
        features = [extract_local_features(picture) for picture in pictures]
        with self._lock:
            self.index.add(records, vectors)
            for record, found in zip(records, features, strict=True):
                self.local_features.add(record.image_id, record.product_id, found)

    def remove(self, image_ids: Collection[str]) -> None:
        with self._lock:
            self.index.remove(image_ids)
            self.local_features.remove(image_ids)
            self.save()

    def save(self) -> None:
        with self._lock:
            self.index_dir.mkdir(parents=True, exist_ok=True)
            self.index.save(self.index_dir)
            self.local_features.save(self.index_dir / FEATURES_FILE)

    def search(
        self,
        data: bytes,
        *,
        showroom_product_ids: Collection[str] | None = None,
        limit: int = 5,
        max_bytes: int | None = None,
    ) -> SearchAnswer:
        """Search a shopper's photo (raises ImageRejected for bad uploads)."""
        limits = ImageLimits(max_bytes=max_bytes) if max_bytes else None
        return self.pipeline.search_bytes(
            data, showroom_product_ids=showroom_product_ids, limit=limit, limits=limits
        )

"""The search engine of one process, kept in step with the catalog's product pictures.

The database is the source of truth (product_images); the FAISS index, the raw backbone
vectors and the local features in the data directory are a cache of it: loaded at start,
caught up with `sync`, rebuilt from the database when missing or unreadable, saved
crash-safely. Once enough products have in-store enrollment photos, a discriminant adapter
is fitted on the shop's own pictures (catalog + enrollment; nothing else) and the index holds
adapted vectors: measured on real photos it lifts rank-1 from 0.59 to 0.77 (RESULTS.md).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import Counter
from collections.abc import Collection, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image
from sqlalchemy.orm import Session
from tqdm import tqdm

from vitrine.catalog import service as catalog
from vitrine.catalog.service import ImageRow
from vitrine.media import MediaStore
from vitrine.search.adapter import Adapter, fit_adapter
from vitrine.search.confidence import CONFIDENCE_WITH_ADAPTER, ConfidenceModel
from vitrine.search.embedder import OnnxEmbedder
from vitrine.search.images import ImageLimits, ImageRejected, load_image
from vitrine.search.index import FaissIndex, ImageRecord, IndexCorrupted, VectorIndex
from vitrine.search.indexing import embed_with_keypoints
from vitrine.search.keypoints import LocalFeatures, LocalFeatureStore
from vitrine.search.pipeline import PipelineConfig, SearchAnswer, SearchPipeline
from vitrine.search.raw_vectors import RawVectors
from vitrine.search.views import VIEW_BATCH, adapter_views

if TYPE_CHECKING:
    from vitrine.search.distributed import BatchEmbedder

log = logging.getLogger("vitrine.search")
FEATURES_FILE = "local-features.npz"
RAW_FILE = "raw-vectors.npz"
ADAPTER_FILE = "adapter.npz"
BATCH = 16
# The adapter needs several pictures per product: fit it once this many products have 2+.
ADAPTER_MIN_PRODUCTS = 10
# Training views are embedded for at most this many pictures (about 10 minutes of CPU once).
MAX_VIEWED_PICTURES = 2000


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
        embedder: OnnxEmbedder | None = None,
        index_uri: str = "",
    ) -> None:
        """`index_uri` empty: FAISS in the data dir; else a Milvus URI (server or milvus-lite)."""
        self.index_dir = index_dir
        self.index_uri = index_uri
        self.media = media
        self._lock = threading.RLock()
        self._refits = ThreadPoolExecutor(max_workers=1, thread_name_prefix="search-refit")
        self.embedder = embedder or OnnxEmbedder()
        self.raw = RawVectors.load(index_dir / RAW_FILE)
        self.embedder.adapter = self._load_adapter()
        self.index = self._load_index()
        self.local_features = self._load_features()
        self.pipeline = SearchPipeline(self.embedder, self.index, config, self.local_features)
        self._use_confidence()

    def _load_adapter(self) -> Adapter | None:
        path = self.index_dir / ADAPTER_FILE
        try:
            return Adapter.load(path) if path.is_file() else None
        except (OSError, ValueError, KeyError):
            return None

    def _use_confidence(self) -> None:
        model = CONFIDENCE_WITH_ADAPTER if self.embedder.adapter else ConfidenceModel()
        self.pipeline.config = replace(self.pipeline.config, confidence=model)

    def _empty_index(self) -> VectorIndex:
        if self.index_uri:
            from vitrine.search.milvus_index import MilvusIndex

            index = MilvusIndex(self.index_uri, self.embedder.dim)
            index.clear(self.embedder.dim)
            return index
        return FaissIndex(self.embedder.dim)

    def _load_index(self) -> VectorIndex:
        if self.index_uri:
            from vitrine.search.milvus_index import MilvusIndex

            kept = MilvusIndex(self.index_uri, self.embedder.dim)
            if kept.dim == self.embedder.dim and len(kept) == len(self.raw) > 0:
                return kept
        elif (self.index_dir / "manifest.json").is_file():
            try:
                index = FaissIndex.load(self.index_dir)
                if index.dim == self.embedder.dim and len(index) == len(self.raw):
                    return index
                log.warning("the saved index does not match its vectors; rebuilding it")
            except IndexCorrupted as error:
                log.warning("%s; it will be rebuilt from the database", error)
        self.raw = RawVectors()
        return self._empty_index()

    def _load_features(self) -> LocalFeatureStore:
        path = self.index_dir / FEATURES_FILE
        if path.is_file():
            try:
                return LocalFeatureStore.load(path)
            except (OSError, ValueError, KeyError) as error:
                log.warning("local features unreadable (%s); they will be rebuilt", error)
                self.index = self._empty_index()  # rebuild both together
                self.raw = RawVectors()
        return LocalFeatureStore()

    def __len__(self) -> int:
        return len(self.index)

    def sync(
        self,
        *,
        db_session: Session,
        progress: bool = False,
        batch_embedder: BatchEmbedder | None = None,
    ) -> SyncReport:
        """Index every stored picture not yet indexed; drop what the database no longer has."""
        rows = catalog.all_product_images(db_session=db_session)
        with self._lock:
            indexed = {record.image_id for record in self.index.records()}
            wanted = {row.image_id for row in rows}
            stale = indexed - wanted
            if stale:
                self.index.remove(stale)
                self.local_features.remove(stale)
                self.raw.remove(stale)
            missing = [row for row in rows if row.image_id not in indexed]
            unreadable = self.add(missing, progress=progress, batch_embedder=batch_embedder)
            room = len(self.raw.viewed()) < MAX_VIEWED_PICTURES
            unviewed = room and bool(self.raw.without_views([row.image_id for row in rows]))
            if missing or stale or unviewed:
                self.adapt(rows, progress=progress)
                self.save()
        return SyncReport(len(missing) - len(unreadable), len(stale), unreadable)

    def add(
        self,
        rows: Sequence[ImageRow],
        *,
        progress: bool = False,
        batch_embedder: BatchEmbedder | None = None,
    ) -> list[str]:
        """Embed and index stored pictures; returns the ids of pictures that could not be read.

        With a `batch_embedder` (Ray, `distributed.py`) the pictures are embedded there.
        """
        if batch_embedder is not None:
            return self._add_embedded_by(batch_embedder, rows, progress=progress)
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

    def _add_embedded_by(
        self, batch_embedder: BatchEmbedder, rows: Sequence[ImageRow], *, progress: bool
    ) -> list[str]:
        records = {row.image_id: _record(row) for row in rows}
        unreadable: list[str] = []

        def stored_pictures() -> Iterator[tuple[str, bytes]]:
            for row in rows:
                try:
                    yield row.image_id, self.media.path_of(row.media_key).read_bytes()
                except (OSError, KeyError) as error:
                    log.warning("product picture %s cannot be indexed: %s", row.image_id, error)
                    unreadable.append(row.image_id)

        for batch in batch_embedder.embed_pictures(
            stored_pictures(), config=self.embedder.config, total=len(rows), progress=progress
        ):
            for image_id, reason in batch.rejected.items():
                log.warning("product picture %s cannot be indexed: %s", image_id, reason)
                unreadable.append(image_id)
            if batch.image_ids:
                chosen = [records[image_id] for image_id in batch.image_ids]
                self._store(chosen, batch.raw, batch.features)
        return unreadable

    def _index_batch(self, records: list[ImageRecord], pictures: list[Image.Image]) -> None:
        if not records:
            return
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="index-keypoints") as pool:
            raw, features = embed_with_keypoints(pictures, self.embedder.raw, pool)
        self._store(records, raw, features)

    def _store(
        self, records: list[ImageRecord], raw: np.ndarray, features: list[LocalFeatures]
    ) -> None:
        with self._lock:
            self.raw.add(records, raw)
            adapter = self.embedder.adapter
            self.index.add(records, raw if adapter is None else adapter.apply(raw))
            for record, found in zip(records, features, strict=True):
                self.local_features.add(record.image_id, record.product_id, found)

    def remove(self, image_ids: Collection[str]) -> None:
        with self._lock:
            self.index.remove(image_ids)
            self.local_features.remove(image_ids)
            self.raw.remove(image_ids)
            self.save()

    def add_training_views(self, rows: Sequence[ImageRow], *, progress: bool = False) -> int:
        """Embed the training views of pictures that have none yet; returns how many got some.

        At most ``MAX_VIEWED_PICTURES`` pictures get views (the adapter needs them to learn
        how a product's photos vary, and a sample teaches that as well as all would), the
        same ones every time (ordered by a hash of their id). Searches go on meanwhile.
        """
        with self._lock:
            wanted = set(self.raw.without_views([row.image_id for row in rows]))
            room = max(0, MAX_VIEWED_PICTURES - len(self.raw.viewed()))
        todo = sorted(
            (row for row in rows if row.image_id in wanted),
            key=lambda row: hashlib.sha256(row.image_id.encode()).digest(),
        )[:room]
        bar = tqdm(total=len(todo), desc="training views", unit="img", disable=not progress)
        for start in range(0, len(todo), VIEW_BATCH):
            batch = []
            for row in todo[start : start + VIEW_BATCH]:
                picture = self._picture(row)
                if picture is not None:
                    batch.append((row.image_id, picture, row.source == "catalog"))
            for (image_id, _, _), views in zip(batch, adapter_views(batch), strict=True):
                vectors = self.embedder.raw(views)
                with self._lock:
                    self.raw.add_views(image_id, vectors)
            bar.update(len(todo[start : start + VIEW_BATCH]))
        bar.close()
        return len(todo)

    def refit_later(self, rows: Sequence[ImageRow]) -> Future[bool]:
        """``adapt(rows)`` then ``save()`` on the engine's background thread, one at a time.

        For enrollment from the floor: the new photos are searchable as soon as ``add``
        returns; the refit (seconds) follows without keeping the operator waiting.
        """

        def refit() -> bool:
            try:
                adapted = self.adapt(rows)
                self.save()
                return adapted
            except Exception:
                log.exception("refitting the search adapter failed; the index is unchanged")
                raise

        return self._refits.submit(refit)

    def adapt(self, rows: Sequence[ImageRow] = (), *, progress: bool = False) -> bool:
        """Fit the adapter on the shop's own pictures and re-index adapted vectors.

        ``rows``: pictures whose training views (``views.adapter_views``) should be
        embedded first if they have none (about 0.4 s of CPU per studio picture, 0.2 s per
        in-store photo, once). Until the catalog has enough products it stays off (False).
        """
        self.add_training_views(rows, progress=progress)
        with self._lock:
            records, raw = self.raw.all()
            fit_vectors, fit_products = self.raw.training_set()
            pictures_per_product = Counter(fit_products)
            if sum(1 for n in pictures_per_product.values() if n >= 2) < ADAPTER_MIN_PRODUCTS:
                self.embedder.adapter = None
                vectors = raw
            else:
                adapter = fit_adapter(fit_vectors, fit_products)
                self.embedder.adapter = adapter
                vectors = adapter.apply(raw)
            self.index = self._empty_index()
            if records:
                self.index.add(records, vectors)
            self.pipeline.index = self.index
            self._use_confidence()
            return self.embedder.adapter is not None

    def save(self) -> None:
        with self._lock:
            self.index_dir.mkdir(parents=True, exist_ok=True)
            self.index.save(self.index_dir)
            self.local_features.save(self.index_dir / FEATURES_FILE)
            self.raw.save(self.index_dir / RAW_FILE)
            adapter_path = self.index_dir / ADAPTER_FILE
            adapter = self.embedder.adapter
            if isinstance(adapter, Adapter):
                adapter.save(adapter_path)
            else:
                adapter_path.unlink(missing_ok=True)

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
        with self._lock:  # the adapter and the index change together during adapt()
            return self.pipeline.search_bytes(
                data, showroom_product_ids=showroom_product_ids, limit=limit, limits=limits
            )

"""The search engine of one process, kept in step with the catalog's pictures and other processes.

The database is the source of truth (product_images); the index, raw backbone vectors, local
features and adapter in the data dir are a cache of it, saved as whole generations
(``generations.py``) that every process on the data dir follows. Searches read an immutable
``IndexState`` with no lock; a change (enrollment, sync, adapter refit, reindex) embeds its
pictures first, then, under the data dir's write lock, starts from the newest saved
generation, applies itself to a copy, saves it as a new generation and swaps it in. Other
processes load that generation within a second (``follow``). Once enough products have
several pictures, a discriminant adapter is fitted on the shop's own pictures and the index
holds adapted vectors: measured on real photos it lifts rank-1 from 0.59 to 0.77 (RESULTS.md).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Collection, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image
from sqlalchemy.orm import Session, sessionmaker
from tqdm import tqdm

from vitrine.catalog import service as catalog
from vitrine.catalog.service import ImageRow
from vitrine.media import MediaStore
from vitrine.search.adapter import Adapter
from vitrine.search.confidence import (
    CONFIDENCE_WITH_ADAPTER,
    SHORTLIST_CONFIDENCE,
    SHORTLIST_WITH_ADAPTER,
    ConfidenceModel,
)
from vitrine.search.embedder import OnnxEmbedder
from vitrine.search.generations import GenerationStore
from vitrine.search.images import ImageLimits, ImageRejected, load_image
from vitrine.search.index import ImageRecord, ImageSource, IndexCorrupted, VectorIndex
from vitrine.search.indexing import embed_with_keypoints
from vitrine.search.keypoints import LocalFeatures, LocalFeatureStore
from vitrine.search.pipeline import PipelineConfig, SearchAnswer, SearchPipeline
from vitrine.search.raw_vectors import RawVectors
from vitrine.search.state import (
    ADAPTER_FILE,
    ADAPTER_MIN_PRODUCTS,
    FEATURES_FILE,
    RAW_FILE,
    AdaptedEmbedder,
    FaissIndexFactory,
    IndexFactory,
    IndexState,
    MilvusIndexFactory,
    empty_state,
    load_state,
    refitted,
    save_state,
    with_pictures,
    without_pictures,
)
from vitrine.search.views import VIEW_BATCH, adapter_views

if TYPE_CHECKING:
    from vitrine.search.distributed import BatchEmbedder

__all__ = [
    "ADAPTER_FILE",
    "ADAPTER_MIN_PRODUCTS",
    "FEATURES_FILE",
    "RAW_FILE",
    "SearchEngine",
    "SyncReport",
]

log = logging.getLogger("vitrine.search")
BATCH = 16
# Training views are embedded for at most this many pictures (about 10 minutes of CPU once).
MAX_VIEWED_PICTURES = 2000
# How often a following process looks for a newer generation, and compares with the database.
FOLLOW_SECONDS = 1.0
DATABASE_CHECK_SECONDS = 15.0


@dataclass(frozen=True)
class SyncReport:
    added: int
    removed: int
    unreadable: list[str]


@dataclass(frozen=True)
class _Embedded:
    """Pictures embedded outside any lock, ready to be added to a state."""

    records: list[ImageRecord]
    raw: np.ndarray
    features: list[LocalFeatures]
    unreadable: list[str]


@dataclass(frozen=True)
class _Snapshot:
    state: IndexState
    pipeline: SearchPipeline


def _record(row: ImageRow) -> ImageRecord:
    source: ImageSource = "enrollment" if row.source == "enrollment" else "catalog"
    return ImageRecord(row.image_id, row.product_id, row.variant_id, source, row.showroom_id)


class SearchEngine:
    """Embedder + the current index state; searches need no lock; one per process."""

    def __init__(
        self,
        *,
        index_dir: Path,
        media: MediaStore,
        config: PipelineConfig | None = None,
        embedder: OnnxEmbedder | None = None,
        index_uri: str = "",
        fresh: bool = False,
    ) -> None:
        """`index_uri` empty: FAISS in the data dir; else a Milvus URI (server or milvus-lite).

        ``fresh``: start empty, ignoring what is saved (a rebuild that swaps in when done).
        """
        self.index_dir = index_dir
        self.index_uri = index_uri
        self.media = media
        self.store = GenerationStore(index_dir)
        self.factory: IndexFactory = (
            MilvusIndexFactory(index_uri) if index_uri else FaissIndexFactory()
        )
        self.embedder = embedder or OnnxEmbedder()
        self._config = config or PipelineConfig()
        self._changing = threading.Lock()
        self._refits = ThreadPoolExecutor(max_workers=1, thread_name_prefix="search-refit")
        self._following: threading.Event | None = None
        self._snapshot = self._snapshot_of(self._empty() if fresh else self._load_current())

    # -- what searches read ------------------------------------------------------------

    def _snapshot_of(self, state: IndexState) -> _Snapshot:
        confidence = CONFIDENCE_WITH_ADAPTER if state.adapter else ConfidenceModel()
        shortlist = SHORTLIST_WITH_ADAPTER if state.adapter else SHORTLIST_CONFIDENCE
        pipeline = SearchPipeline(
            AdaptedEmbedder(self.embedder, state.adapter),
            state.index,
            replace(self._config, confidence=confidence, shortlist=shortlist),
            state.features,
        )
        return _Snapshot(state, pipeline)

    @property
    def state(self) -> IndexState:
        return self._snapshot.state

    @property
    def pipeline(self) -> SearchPipeline:
        return self._snapshot.pipeline

    @property
    def index(self) -> VectorIndex:
        return self.state.index

    @property
    def adapter(self) -> Adapter | None:
        return self.state.adapter

    @property
    def raw(self) -> RawVectors:
        return self.state.raw

    @property
    def local_features(self) -> LocalFeatureStore:
        return self.state.features

    @property
    def generation(self) -> str:
        return self.state.generation

    def __len__(self) -> int:
        return len(self.state.index)

    def search(
        self,
        data: bytes,
        *,
        showroom_product_ids: Collection[str] | None = None,
        limit: int = 5,
        max_bytes: int | None = None,
    ) -> SearchAnswer:
        """Search a shopper's photo (raises ImageRejected for bad uploads); no lock taken."""
        limits = ImageLimits(max_bytes=max_bytes) if max_bytes else None
        return self._snapshot.pipeline.search_bytes(
            data, showroom_product_ids=showroom_product_ids, limit=limit, limits=limits
        )

    # -- loading ------------------------------------------------------------------------

    def _empty(self) -> IndexState:
        return empty_state(self.factory, self.embedder.config.dim)

    def _load_current(self) -> IndexState:
        name = self.store.current()
        if not name:
            return self._load_legacy()
        loaded = load_state(self.store.folder(name), self.factory, self.embedder.config.dim)
        if loaded is None:
            log.warning("the saved search index %s is incomplete; rebuilding it", name)
            return self._empty()
        return replace(loaded, generation=name)

    def _load_legacy(self) -> IndexState:
        """A data dir saved before generations (files at the top of the index folder)."""
        try:
            loaded = load_state(self.index_dir, self.factory, self.embedder.config.dim)
        except IndexCorrupted:
            loaded = None
        return loaded or self._empty()

    def _latest(self) -> IndexState:
        """The newest saved state (another process may have saved one), else ours."""
        name = self.store.current()
        if not name or name == self.state.generation:
            return self.state
        loaded = load_state(self.store.folder(name), self.factory, self.embedder.config.dim)
        return self.state if loaded is None else replace(loaded, generation=name)

    def refresh(self) -> bool:
        """Load a newer generation saved by another process; True when one was taken."""
        with self._changing:
            latest = self._latest()
            if latest is self.state:
                return False
            self._snapshot = self._snapshot_of(latest)
            log.info("search index: generation %s loaded", latest.generation)
            return True

    # -- changing -----------------------------------------------------------------------

    def _commit(
        self, change: Callable[[IndexState], IndexState | None], *, rebuild: bool = False
    ) -> IndexState:
        """Apply ``change`` to a copy of the newest state, save it, swap it in.

        ``change`` returns None when there is nothing to do. ``rebuild``: start from empty.
        """
        with self._changing, self.store.writing():
            base = self._empty() if rebuild else self._latest()
            changed = change(base if rebuild else base.copy(self.factory))
            if changed is None:
                if base is not self.state:
                    self._snapshot = self._snapshot_of(base)
                return base
            name, folder = self.store.new_folder()
            try:
                save_state(changed, folder)
            except BaseException:
                self.store.discard(name)
                raise
            self.store.publish(name)
            saved = replace(changed, generation=name)
            self._snapshot = self._snapshot_of(saved)
            return saved

    def save(self) -> None:
        """Save the current state if it was never saved (every change saves itself)."""
        if not self.state.generation:
            self._commit(lambda state: state if not state.generation else None)

    def add(
        self,
        rows: Sequence[ImageRow],
        *,
        progress: bool = False,
        batch_embedder: BatchEmbedder | None = None,
    ) -> list[str]:
        """Embed and index stored pictures (searchable on return); ids of unreadable ones."""
        embedded = self._embed(rows, progress=progress, batch_embedder=batch_embedder)
        self._commit(lambda state: _adding(state, embedded))
        return embedded.unreadable

    def remove(self, image_ids: Collection[str]) -> None:
        gone = set(image_ids)
        self._commit(lambda state: without_pictures(state, gone & state.image_ids()))

    def sync(
        self,
        *,
        db_session: Session,
        progress: bool = False,
        batch_embedder: BatchEmbedder | None = None,
        rebuild: bool = False,
    ) -> SyncReport:
        """Index every stored picture not yet indexed; drop what the database no longer has.

        ``rebuild``: embed everything again aside; searches use the old index until the new
        one is saved and swapped in.
        """
        rows = catalog.all_product_images(db_session=db_session)
        base = self._empty() if rebuild else self._latest()
        indexed = base.image_ids()
        wanted = {row.image_id for row in rows}
        missing = [row for row in rows if row.image_id not in indexed]
        embedded = self._embed(missing, progress=progress, batch_embedder=batch_embedder)
        views = self._training_views(base, embedded, rows, progress=progress)
        stale = indexed - wanted
        if not (embedded.records or stale or views):
            return SyncReport(0, 0, embedded.unreadable)

        def catch_up(state: IndexState) -> IndexState:
            state = without_pictures(state, state.image_ids() - wanted)
            state = _adding(state, embedded)
            for image_id, vectors in views.items():
                state.raw.add_views(image_id, vectors)
            return refitted(state, self.factory, self.embedder.config.dim)

        self._commit(catch_up, rebuild=rebuild)
        added = len(embedded.records)
        return SyncReport(added, len(stale), embedded.unreadable)

    def adapt(self, rows: Sequence[ImageRow] = (), *, progress: bool = False) -> bool:
        """Fit the adapter on the shop's own pictures and re-index adapted vectors.

        ``rows``: pictures whose training views (``views.adapter_views``) should be embedded
        first if they have none (about 0.4 s of CPU per studio picture, 0.2 s per in-store
        photo, once). Until the catalog has enough products it stays off (False).
        """
        views = self._training_views(self._latest(), None, rows, progress=progress)

        def refit(state: IndexState) -> IndexState:
            for image_id, vectors in views.items():
                state.raw.add_views(image_id, vectors)
            return refitted(state, self.factory, self.embedder.config.dim)

        return self._commit(refit).adapter is not None

    def refit_later(self, rows: Sequence[ImageRow]) -> Future[bool]:
        """``adapt(rows)`` on the engine's background thread, one at a time.

        For enrollment from the floor: the new photos are searchable as soon as ``add``
        returns; the refit (seconds) follows without keeping the operator waiting.
        """

        def refit() -> bool:
            try:
                return self.adapt(rows)
            except Exception:
                log.exception("refitting the search adapter failed; the index is unchanged")
                raise

        return self._refits.submit(refit)

    def index_later(
        self, rows: Sequence[ImageRow], refit_rows: Sequence[ImageRow] = ()
    ) -> Future[bool]:
        """``add(rows)`` then ``adapt(refit_rows or rows)`` on the background thread."""

        def index_then_refit() -> bool:
            try:
                self.add(rows)
                return self.adapt(refit_rows or rows)
            except Exception:
                log.exception("indexing in the background failed; the index is unchanged")
                raise

        return self._refits.submit(index_then_refit)

    # -- embedding (outside every lock) -------------------------------------------------

    def _picture(self, row: ImageRow) -> Image.Image | None:
        try:
            return load_image(self.media.path_of(row.media_key).read_bytes(), max_side=1024)
        except (OSError, KeyError, ImageRejected) as error:
            log.warning("product picture %s cannot be indexed: %s", row.image_id, error)
            return None

    def _embed(
        self,
        rows: Sequence[ImageRow],
        *,
        progress: bool,
        batch_embedder: BatchEmbedder | None,
    ) -> _Embedded:
        if batch_embedder is not None:
            return self._embedded_by(batch_embedder, rows, progress=progress)
        records: list[ImageRecord] = []
        raws: list[np.ndarray] = []
        features: list[LocalFeatures] = []
        unreadable: list[str] = []
        batches = range(0, len(rows), BATCH)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="index-keypoints") as pool:
            for start in tqdm(batches, desc="indexing", unit="batch", disable=not progress):
                pictures, chosen = [], []
                for row in rows[start : start + BATCH]:
                    picture = self._picture(row)
                    if picture is None:
                        unreadable.append(row.image_id)
                        continue
                    pictures.append(picture)
                    chosen.append(_record(row))
                if chosen:
                    raw, found = embed_with_keypoints(pictures, self.embedder.raw, pool)
                    records += chosen
                    raws.append(raw)
                    features += found
        return _Embedded(records, self._stack(raws), features, unreadable)

    def _stack(self, raws: list[np.ndarray]) -> np.ndarray:
        if not raws:
            return np.zeros((0, self.embedder.config.dim), np.float32)
        return np.concatenate(raws).astype(np.float32)

    def _embedded_by(
        self, batch_embedder: BatchEmbedder, rows: Sequence[ImageRow], *, progress: bool
    ) -> _Embedded:
        by_id = {row.image_id: _record(row) for row in rows}
        records: list[ImageRecord] = []
        raws: list[np.ndarray] = []
        features: list[LocalFeatures] = []
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
                records += [by_id[image_id] for image_id in batch.image_ids]
                raws.append(batch.raw)
                features += batch.features
        return _Embedded(records, self._stack(raws), features, unreadable)

    def _training_views(
        self,
        base: IndexState,
        embedded: _Embedded | None,
        rows: Sequence[ImageRow],
        *,
        progress: bool = False,
    ) -> dict[str, np.ndarray]:
        """Training views of pictures that have none yet, within ``MAX_VIEWED_PICTURES``.

        The same pictures every time (ordered by a hash of their id): the adapter needs them
        to learn how a product's photos vary, and a sample teaches that as well as all would.
        """
        indexed = base.image_ids() | {r.image_id for r in (embedded.records if embedded else [])}
        viewed = base.raw.viewed()
        room = max(0, MAX_VIEWED_PICTURES - len(viewed))
        todo = sorted(
            (row for row in rows if row.image_id in indexed and row.image_id not in viewed),
            key=lambda row: hashlib.sha256(row.image_id.encode()).digest(),
        )[:room]
        views: dict[str, np.ndarray] = {}
        bar = tqdm(total=len(todo), desc="training views", unit="img", disable=not progress)
        for start in range(0, len(todo), VIEW_BATCH):
            batch = []
            for row in todo[start : start + VIEW_BATCH]:
                picture = self._picture(row)
                if picture is not None:
                    batch.append((row.image_id, picture, row.source == "catalog"))
            for (image_id, _, _), pictures in zip(batch, adapter_views(batch), strict=True):
                views[image_id] = self.embedder.raw(pictures)
            bar.update(len(todo[start : start + VIEW_BATCH]))
        bar.close()
        return views

    # -- following other processes ------------------------------------------------------

    def follow(
        self,
        session_factory: sessionmaker[Session] | None = None,
        *,
        every: float = FOLLOW_SECONDS,
        database_every: float = DATABASE_CHECK_SECONDS,
    ) -> None:
        """Keep up with generations saved by other processes (and, given a session factory,
        with pictures the database has that no process indexed yet), on a daemon thread."""
        if self._following is not None:
            return
        stop = threading.Event()
        self._following = stop
        thread = threading.Thread(
            target=self._follow_loop,
            args=(stop, session_factory, every, database_every),
            name="search-follow",
            daemon=True,
        )
        thread.start()

    def stop_following(self) -> None:
        if self._following is not None:
            self._following.set()
            self._following = None

    def _follow_loop(
        self,
        stop: threading.Event,
        session_factory: sessionmaker[Session] | None,
        every: float,
        database_every: float,
    ) -> None:
        waited = 0.0
        while not stop.wait(every):
            waited += every
            try:
                self.refresh()
                if session_factory is not None and waited >= database_every:
                    waited = 0.0
                    self.catch_up_with_database(session_factory)
            except Exception:  # a bad moment (disk, database) must not end the follower
                log.exception("the search index could not follow the saved generations")

    def catch_up_with_database(self, session_factory: sessionmaker[Session]) -> bool:
        """Sync if the database names pictures the index lacks (one process at a time)."""
        with session_factory() as session:
            wanted = {row.image_id for row in catalog.all_product_images(db_session=session)}
            if wanted == self.state.image_ids():
                return False
            with self.store.leading() as leader:
                if not leader:
                    return False
                self.sync(db_session=session)
                return True


def _adding(state: IndexState, embedded: _Embedded) -> IndexState:
    fresh = [i for i, r in enumerate(embedded.records) if r.image_id not in state.image_ids()]
    if len(fresh) == len(embedded.records):
        return with_pictures(state, embedded.records, embedded.raw, embedded.features)
    return with_pictures(
        state,
        [embedded.records[i] for i in fresh],
        embedded.raw[fresh],
        [embedded.features[i] for i in fresh],
    )

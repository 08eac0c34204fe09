"""Index catalog and enrollment pictures: decode, embed, keypoints, add, with a progress bar.

Embedding runs in batches on ONNX Runtime while keypoints are extracted in a
small thread pool (both release the GIL), so both cores stay busy. A picture
that cannot be read is reported and skipped; nothing half-done reaches the index.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
from PIL import Image
from tqdm import tqdm

from vitrine.search.embedder import Embedder
from vitrine.search.images import ImageRejected, load_image
from vitrine.search.index import ImageRecord, VectorIndex
from vitrine.search.keypoints import LocalFeatures, LocalFeatureStore, extract_local_features

CATALOG_MAX_SIDE = 640


@dataclass
class IndexingReport:
    """What an indexing run did."""

    added: int = 0
    rejected: dict[str, str] = field(default_factory=dict)  # image_id -> human reason
    seconds: float = 0.0

    @property
    def images_per_second(self) -> float:
        return self.added / self.seconds if self.seconds else 0.0


def _decode(
    batch: Sequence[tuple[ImageRecord, bytes]], report: IndexingReport
) -> list[tuple[ImageRecord, Image.Image]]:
    decoded = []
    for record, data in batch:
        try:
            decoded.append((record, load_image(data, max_side=CATALOG_MAX_SIDE)))
        except ImageRejected as rejected:
            report.rejected[record.image_id] = rejected.message
    return decoded


def embed_with_keypoints(
    images: Sequence[Image.Image],
    embed: Callable[[Sequence[Image.Image]], np.ndarray],
    pool: Executor,
) -> tuple[np.ndarray, list[LocalFeatures]]:
    """``embed(images)`` and the SIFT keypoints of each picture, extracted on ``pool`` while
    the network runs (both release the GIL, so two cores stay busy)."""
    pending = pool.map(extract_local_features, images)
    return embed(images), list(pending)


def index_pictures(
    pictures: Iterable[tuple[ImageRecord, bytes]],
    *,
    embedder: Embedder,
    index: VectorIndex,
    keypoints: LocalFeatureStore | None = None,
    batch_size: int = 16,
    workers: int = 2,
    progress: bool = True,
    total: int | None = None,
) -> IndexingReport:
    """Add pictures (record + file bytes) to ``index`` and, if given, to the keypoint store."""
    report = IndexingReport()
    started = time.perf_counter()
    bar = tqdm(total=total, desc="indexing pictures", unit="img", disable=not progress)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for batch in _batches(pictures, batch_size):
            decoded = _decode(batch, report)
            if decoded:
                records, images = [r for r, _ in decoded], [image for _, image in decoded]
                if keypoints is None:
                    index.add(records, embedder.embed(images))
                else:
                    vectors, features = embed_with_keypoints(images, embedder.embed, pool)
                    index.add(records, vectors)
                    for record, found in zip(records, features, strict=True):
                        keypoints.add(record.image_id, record.product_id, found)
            report.added += len(decoded)
            bar.update(len(batch))
    bar.close()
    report.seconds = time.perf_counter() - started
    return report


def _batches(
    pictures: Iterable[tuple[ImageRecord, bytes]], size: int
) -> Iterable[list[tuple[ImageRecord, bytes]]]:
    batch: list[tuple[ImageRecord, bytes]] = []
    for picture in pictures:
        batch.append(picture)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch

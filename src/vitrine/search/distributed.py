"""Catalog-wide batch embedding on a Ray cluster: one embedder actor per CPU, on many machines.

In-process indexing (`SearchEngine.add`) embeds about 30 pictures a second on 2 cores, which
is right for tens of thousands of pictures; a catalog of hundreds of thousands is hours there,
so `RayBatchEmbedder` spreads the same work over a pool of machines. Each actor computes
exactly what the in-process path computes (the raw descriptors before the adapter, and the
SIFT keypoints), and the engine indexes its output the same way. Ray is an optional
dependency (`pip install 'vitrine[scale]'`) imported only when a run asks for it.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from itertools import islice
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

import numpy as np
from tqdm import tqdm

from vitrine.search.embedder import EmbedderConfig, OnnxEmbedder
from vitrine.search.images import ImageRejected, load_image
from vitrine.search.keypoints import LocalFeatures, extract_local_features

BATCH = 16
# Pictures are decoded as the in-process path decodes them (SearchEngine._picture).
MAX_SIDE = 1024
# Batches read and not yet indexed, per actor: one it works on, one ready for when it is done.
IN_FLIGHT_PER_ACTOR = 2

Picture = tuple[str, bytes]  # (image id, the stored file's bytes)


@dataclass(frozen=True)
class EmbeddedBatch:
    """One batch ready for the index: raw descriptors and keypoints, and what was refused."""

    image_ids: list[str]
    raw: np.ndarray  # (len(image_ids), dim), before the adapter
    features: list[LocalFeatures]
    rejected: dict[str, str]  # image id -> why the picture cannot be read, for a person


class BatchEmbedder(Protocol):
    """Embeds many stored pictures, batch by batch, in the order they are given."""

    def embed_pictures(
        self,
        pictures: Iterable[Picture],
        *,
        config: EmbedderConfig,
        total: int | None = None,
        progress: bool = False,
    ) -> Iterator[EmbeddedBatch]: ...


class PictureWorker:
    """Decodes, embeds and extracts the keypoints of a batch; Ray runs one per CPU."""

    def __init__(self, config: EmbedderConfig, model_path: Path | None = None) -> None:
        self.embedder = OnnxEmbedder(config, model_path)

    def embed(self, pictures: list[Picture]) -> EmbeddedBatch:
        image_ids, images, rejected = [], [], {}
        for image_id, data in pictures:
            try:
                images.append(load_image(data, max_side=MAX_SIDE))
            except ImageRejected as error:
                rejected[image_id] = error.message
                continue
            image_ids.append(image_id)
        features = [extract_local_features(image) for image in images]
        return EmbeddedBatch(image_ids, self.embedder.raw(images), features, rejected)


def is_available() -> bool:
    """Whether Ray is installed (`pip install 'vitrine[scale]'`)."""
    return importlib.util.find_spec("ray") is not None


def _ray() -> Any:
    if not is_available():
        raise RuntimeError("Ray is not installed: pip install 'vitrine[scale]'")
    import ray

    return ray


def _batches(pictures: Iterable[Picture], size: int) -> Iterator[list[Picture]]:
    iterator = iter(pictures)
    while batch := list(islice(iterator, size)):
        yield batch


def _embed_on(actor: Any, batch: list[Picture]) -> Any:
    return actor.embed.remote(batch)


class RayBatchEmbedder:
    """`BatchEmbedder` on Ray actors, each with its own single-threaded ONNX Runtime session.

    `address` "local" starts Ray on this machine with all its CPUs, for this run only; anything
    else is a cluster to join ("auto", "ray://head:10001"), whose nodes have the same vitrine
    installed. A Ray the caller already connected is used as it is, and left running.
    """

    def __init__(
        self,
        address: str = "local",
        *,
        actors: int | None = None,
        batch_size: int = BATCH,
        model_path: Path | None = None,
    ) -> None:
        self.address = address
        self.actors = actors
        self.batch_size = batch_size
        self.model_path = model_path
        self._started_ray = False
        self._actors: list[Any] = []
        self._config: EmbedderConfig | None = None

    def __enter__(self) -> RayBatchEmbedder:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop the actors; stop Ray if this object started it."""
        self.close_actors()
        if self._started_ray:
            _ray().shutdown()
            self._started_ray = False

    def close_actors(self) -> None:
        """Stop the actors now, so that their CPUs are free for other work at once."""
        if self._actors:
            ray = _ray()
            for actor in self._actors:
                ray.kill(actor)
        self._actors = []
        self._config = None

    def _connect(self) -> Any:
        ray = _ray()
        if not ray.is_initialized():
            if self.address == "local":
                ray.init(address="local", num_cpus=os.cpu_count(), include_dashboard=False)
            else:
                ray.init(address=self.address)
            self._started_ray = True
        return ray

    def _actors_for(self, config: EmbedderConfig) -> list[Any]:
        """The actors, started on first use (loading a model takes a second or two each)."""
        if not self._actors or config != self._config:
            self.close_actors()
            ray = self._connect()
            # One per CPU free now: an actor asking for a CPU that is taken waits for it.
            count = self.actors or max(1, int(ray.available_resources().get("CPU", 1)))
            worker = ray.remote(num_cpus=1)(PictureWorker)
            self._actors = [worker.remote(config, self.model_path) for _ in range(count)]
            self._config = config
        return self._actors

    def embed_pictures(
        self,
        pictures: Iterable[Picture],
        *,
        config: EmbedderConfig,
        total: int | None = None,
        progress: bool = False,
    ) -> Iterator[EmbeddedBatch]:
        """Batches in the order given; pictures are read lazily, a few batches ahead."""
        actors = self._actors_for(replace(config, threads=1))
        from ray.util import ActorPool

        pool = ActorPool(actors)  # fresh: a run stopped halfway hands nothing to the next
        limit = IN_FLIGHT_PER_ACTOR * len(actors)
        with tqdm(total=total, desc="indexing on Ray", unit="picture", disable=not progress) as bar:
            in_flight = 0
            for batch in _batches(pictures, self.batch_size):
                pool.submit(_embed_on, batch)
                in_flight += 1
                if in_flight == limit:
                    yield _next(pool, bar)
                    in_flight -= 1
            while pool.has_next():
                yield _next(pool, bar)


def _next(pool: Any, bar: tqdm[Any]) -> EmbeddedBatch:
    done: EmbeddedBatch = pool.get_next()
    bar.update(len(done.image_ids) + len(done.rejected))
    return done

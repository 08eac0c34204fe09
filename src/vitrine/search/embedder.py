"""Picture -> unit vector: the ``Embedder`` interface and the ONNX Runtime implementation.

The shipped model (``models/efficientnet-lite0.onnx``) returns the backbone's
head feature map; descriptors are pooled from it in numpy (GeM over the whole
picture plus, optionally, over a centre region) so one forward pass serves both.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from PIL import Image

from vitrine.search.export import INPUT_NAME, MODELS_DIR

DEFAULT_MODEL = MODELS_DIR / "efficientnet-lite0.onnx"


class VectorTransform(Protocol):
    """A learned map applied after pooling (see ``adapter.Adapter``)."""

    @property
    def dim(self) -> int: ...

    def apply(self, vectors: np.ndarray) -> np.ndarray: ...


class Embedder(Protocol):
    """Turns pictures into L2-normalised float32 vectors of length ``dim``."""

    @property
    def dim(self) -> int: ...

    def embed(self, images: Sequence[Image.Image]) -> np.ndarray: ...


@dataclass(frozen=True)
class EmbedderConfig:
    """How pictures are sized and pooled; the defaults are the benchmarked ones."""

    size: int = 224
    gem_power: float = 3.0
    # Extra GeM over the central part of the map (fraction of each side); 0 switches it off.
    centre_fraction: float = 0.0
    centre_weight: float = 1.0
    threads: int = 2
    batch_size: int = 16


def l2_normalise(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero)."""
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return (matrix / np.maximum(norms, 1e-12)).astype(np.float32)


def gem(feature_maps: np.ndarray, power: float) -> np.ndarray:
    """Generalised-mean pooling of (N, C, H, W) maps to (N, C)."""
    clipped = np.clip(feature_maps, 1e-6, None)
    return np.power(np.mean(np.power(clipped, power), axis=(2, 3)), 1.0 / power)


def pixels(images: Sequence[Image.Image], size: int) -> np.ndarray:
    """Pictures resized to ``size`` x ``size`` as a float32 (N, 3, H, W) batch in 0..255."""
    arrays = [
        np.asarray(image.convert("RGB").resize((size, size), Image.Resampling.BILINEAR))
        for image in images
    ]
    return np.stack(arrays).astype(np.float32).transpose(0, 3, 1, 2)


_SESSIONS: dict[tuple[str, int], Any] = {}
_SESSIONS_LOCK = threading.Lock()


def onnx_session(model_path: Path, threads: int) -> Any:
    """One ONNX Runtime session per (model, thread count) per process."""
    key = (str(model_path), threads)
    with _SESSIONS_LOCK:
        if key not in _SESSIONS:
            import onnxruntime as ort

            options = ort.SessionOptions()
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            _SESSIONS[key] = ort.InferenceSession(
                str(model_path), sess_options=options, providers=["CPUExecutionProvider"]
            )
        return _SESSIONS[key]


class OnnxEmbedder:
    """EfficientNet-Lite through ONNX Runtime, GeM-pooled, optionally mapped by an adapter."""

    def __init__(
        self,
        config: EmbedderConfig | None = None,
        model_path: Path = DEFAULT_MODEL,
        adapter: VectorTransform | None = None,
    ):
        self.config = config or EmbedderConfig()
        self.session = onnx_session(model_path, self.config.threads)
        self.adapter = adapter

    @property
    def dim(self) -> int:
        return 1280 if self.adapter is None else self.adapter.dim

    def feature_maps(self, images: Sequence[Image.Image]) -> np.ndarray:
        """Backbone head maps (N, 1280, h, w) for a batch of pictures."""
        chunks = []
        step = self.config.batch_size
        for start in range(0, len(images), step):
            batch = pixels(images[start : start + step], self.config.size)
            chunks.append(self.session.run(None, {INPUT_NAME: batch})[0])
        return np.concatenate(chunks) if chunks else np.zeros((0, 1280, 1, 1), np.float32)

    def pool(self, maps: np.ndarray) -> np.ndarray:
        """Descriptors from head maps: whole-picture GeM (+ centre GeM), adapted, unit length."""
        power = self.config.gem_power
        descriptor = l2_normalise(gem(maps, power))
        fraction = self.config.centre_fraction
        if fraction > 0:
            height, width = maps.shape[2:]
            top, left = round(height * (1 - fraction) / 2), round(width * (1 - fraction) / 2)
            centre = maps[:, :, top : height - top or None, left : width - left or None]
            descriptor = descriptor + self.config.centre_weight * l2_normalise(gem(centre, power))
        descriptor = l2_normalise(descriptor)
        return descriptor if self.adapter is None else self.adapter.apply(descriptor)

    def embed(self, images: Sequence[Image.Image]) -> np.ndarray:
        """L2-normalised float32 vectors (N, dim)."""
        if not images:
            return np.zeros((0, self.dim), np.float32)
        return self.pool(self.feature_maps(images))

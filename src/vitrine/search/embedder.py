"""Picture -> unit vector: the ``Embedder`` interface and the ONNX Runtime implementation.

The shipped model (``models/efficientnet-lite0.onnx``) returns the backbone's
head feature map and two mid-level maps; descriptors are GeM-pooled from them in
numpy, so the pooling can change without re-exporting the model.
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

# Channels of the two mid-level maps (end of stages 4 and 5) per backbone variant.
STAGE_WIDTHS: dict[str, tuple[int, int]] = {
    "efficientnet-lite0": (112, 192),
    "efficientnet-lite1": (112, 192),
    "efficientnet-lite2": (120, 208),
}
HEAD_WIDTH = 1280
DEFAULT_VARIANT = "efficientnet-lite0"
DEFAULT_MODEL = MODELS_DIR / f"{DEFAULT_VARIANT}.onnx"


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

    variant: str = DEFAULT_VARIANT
    size: int = 320
    gem_power: float = 3.0
    # Weight of the mid-level (stage 4, stage 5) descriptors next to the head one; 0 drops them.
    stage_weights: tuple[float, float] = (1.0, 1.0)
    # Also embed the mirror image and add the two (measured +0.6 point, doubles the cost).
    flip: bool = False
    # Further input sizes whose descriptors are added to the main one (multi-scale), e.g. (416,).
    extra_sizes: tuple[int, ...] = ()
    threads: int = 2
    batch_size: int = 16

    @property
    def dim(self) -> int:
        widths = STAGE_WIDTHS[self.variant]
        return HEAD_WIDTH + sum(
            w for w, weight in zip(widths, self.stage_weights, strict=True) if weight
        )


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
        model_path: Path | None = None,
        adapter: VectorTransform | None = None,
    ):
        self.config = config or EmbedderConfig()
        model_path = model_path or MODELS_DIR / f"{self.config.variant}.onnx"
        self.session = onnx_session(model_path, self.config.threads)
        self.adapter = adapter

    @property
    def dim(self) -> int:
        return self.config.dim if self.adapter is None else self.adapter.dim

    def feature_maps(
        self, images: Sequence[Image.Image], size: int | None = None
    ) -> list[np.ndarray]:
        """Backbone maps for a batch: [head (N, 1280, h, w), stage 4, stage 5]."""
        chunks: list[list[np.ndarray]] = []
        step = self.config.batch_size
        for start in range(0, len(images), step):
            batch = pixels(images[start : start + step], size or self.config.size)
            chunks.append(self.session.run(None, {INPUT_NAME: batch}))
        return [np.concatenate([chunk[n] for chunk in chunks]) for n in range(len(chunks[0]))]

    def pool(self, maps: list[np.ndarray]) -> np.ndarray:
        """Unit descriptors: GeM of the head map, plus weighted GeM of the mid-level maps."""
        power = self.config.gem_power
        parts = [l2_normalise(gem(maps[0], power))]
        for weight, stage in zip(self.config.stage_weights, maps[1:], strict=True):
            if weight > 0:
                # Stage outputs are linear (no activation): keep the positive evidence.
                parts.append(weight * l2_normalise(gem(np.maximum(stage, 0), power)))
        return l2_normalise(np.concatenate(parts, axis=1))

    def raw(self, images: Sequence[Image.Image]) -> np.ndarray:
        """Descriptors before the adapter (what an adapter is fitted on)."""
        if not images:
            return np.zeros((0, self.config.dim), np.float32)
        views = [images]
        if self.config.flip:
            views.append([image.transpose(Image.Transpose.FLIP_LEFT_RIGHT) for image in images])
        total = np.zeros((len(images), self.config.dim), np.float32)
        for size in (self.config.size, *self.config.extra_sizes):
            for view in views:
                total += self.pool(self.feature_maps(view, size))
        return l2_normalise(total)

    def embed(self, images: Sequence[Image.Image]) -> np.ndarray:
        """L2-normalised float32 vectors (N, dim)."""
        descriptor = self.raw(images)
        return descriptor if self.adapter is None else self.adapter.apply(descriptor)

"""Local features (SIFT keypoints) of catalog pictures, and their crash-safe store.

Geometric verification (``rerank.py``) compares a shopper's photo with these:
printed packaging gives many matching keypoints in a consistent geometry,
fruit and vegetables give few.
"""

from __future__ import annotations

import json
import os
import threading
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

DEFAULT_SIDE = 400
DEFAULT_FEATURES = 500


@dataclass(frozen=True)
class LocalFeatures:
    """Keypoint positions (n, 2) in pixels and their SIFT descriptors (n, 128) as uint8."""

    points: np.ndarray
    descriptors: np.ndarray

    def __len__(self) -> int:
        return int(self.points.shape[0])


_DETECTORS: dict[int, Any] = {}
_DETECTOR_LOCK = threading.Lock()


def _detector(max_features: int) -> Any:
    import cv2 as cv2_module

    cv2: Any = cv2_module  # the stubs of some OpenCV builds lack SIFT_create

    with _DETECTOR_LOCK:
        if max_features not in _DETECTORS:
            _DETECTORS[max_features] = cv2.SIFT_create(nfeatures=max_features)
        return _DETECTORS[max_features]


def extract_local_features(
    image: Image.Image, max_side: int = DEFAULT_SIDE, max_features: int = DEFAULT_FEATURES
) -> LocalFeatures:
    """SIFT keypoints of the picture scaled to ``max_side`` on its long side.

    Small catalog pictures are enlarged too, so their keypoints live at the
    same scales as those of the shopper's photo.
    """
    grey = image.convert("L")
    scale = max_side / max(grey.size)
    if abs(scale - 1) > 0.05:
        grey = grey.resize(
            (round(grey.width * scale), round(grey.height * scale)), Image.Resampling.BILINEAR
        )
    keypoints, descriptors = _detector(max_features).detectAndCompute(np.asarray(grey), None)
    if descriptors is None:
        return LocalFeatures(np.zeros((0, 2), np.float32), np.zeros((0, 128), np.uint8))
    points = np.array([keypoint.pt for keypoint in keypoints], dtype=np.float32)
    return LocalFeatures(points, np.clip(descriptors, 0, 255).astype(np.uint8))


class LocalFeatureStore:
    """Keypoints per catalog picture, grouped by product for the re-ranker."""

    def __init__(self) -> None:
        self._features: dict[str, LocalFeatures] = {}
        self._product_of: dict[str, str] = {}
        self._images_of: dict[str, set[str]] = defaultdict(set)

    def __len__(self) -> int:
        return len(self._features)

    def copy(self) -> LocalFeatureStore:
        """An independent copy (the keypoint arrays themselves are shared: never changed)."""
        twin = LocalFeatureStore()
        twin._features = dict(self._features)
        twin._product_of = dict(self._product_of)
        twin._images_of = defaultdict(
            set, {product: set(images) for product, images in self._images_of.items()}
        )
        return twin

    def image_ids(self) -> set[str]:
        return set(self._features)

    def add(self, image_id: str, product_id: str, features: LocalFeatures) -> None:
        self.remove([image_id])
        self._features[image_id] = features
        self._product_of[image_id] = product_id
        self._images_of[product_id].add(image_id)

    def remove(self, image_ids: Iterable[str]) -> None:
        for image_id in image_ids:
            if image_id in self._features:
                del self._features[image_id]
                self._images_of[self._product_of.pop(image_id)].discard(image_id)

    def of_product(self, product_id: str) -> list[LocalFeatures]:
        """Keypoints of every stored picture of the product."""
        return [self._features[image_id] for image_id in sorted(self._images_of[product_id])]

    def save(self, path: Path) -> None:
        """One ``.npz`` file, written aside and renamed into place."""
        ids = sorted(self._features)
        arrays: dict[str, np.ndarray] = {
            "manifest": np.frombuffer(
                json.dumps([[image_id, self._product_of[image_id]] for image_id in ids]).encode(),
                dtype=np.uint8,
            )
        }
        for number, image_id in enumerate(ids):
            arrays[f"p{number}"] = self._features[image_id].points
            arrays[f"d{number}"] = self._features[image_id].descriptors
        partial = Path(path).with_suffix(".partial.npz")
        np.savez(partial, **arrays)  # type: ignore[arg-type]
        os.replace(partial, path)

    @classmethod
    def load(cls, path: Path) -> LocalFeatureStore:
        store = cls()
        with np.load(path) as stored:
            manifest = json.loads(stored["manifest"].tobytes())
            for number, (image_id, product_id) in enumerate(manifest):
                features = LocalFeatures(stored[f"p{number}"], stored[f"d{number}"])
                store.add(image_id, product_id, features)
        return store

"""The same contract for every vector index backend: FAISS (embedded) and Milvus (milvus-lite)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from vitrine.search import milvus_index
from vitrine.search.index import FaissIndex, ImageRecord, VectorIndex

DIM = 16


@pytest.fixture(params=["faiss", "milvus"])
def index(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[VectorIndex]:
    if request.param == "faiss":
        yield FaissIndex(DIM)
        return
    if not milvus_index.is_available():
        pytest.fail("pymilvus / milvus-lite are not installed (the test extra installs them)")
    yield milvus_index.MilvusIndex(str(tmp_path / "pictures.db"), DIM)


def _unit(seed: int) -> np.ndarray:
    vector = np.random.default_rng(seed).standard_normal(DIM).astype(np.float32)
    return vector / np.linalg.norm(vector)


def _records(n: int) -> list[ImageRecord]:
    return [ImageRecord(f"img{i}", f"prod{i % 3}", None, "catalog", None) for i in range(n)]


def test_add_search_scope_remove(index: VectorIndex) -> None:
    records = _records(6)
    index.add(records, np.stack([_unit(i) for i in range(6)]))
    assert len(index) == 6
    hits = index.search(_unit(4), 3)
    assert hits[0].record.image_id == "img4"
    assert hits[0].score == pytest.approx(1.0, abs=1e-4)
    scoped = index.search(_unit(4), 6, allowed_product_ids=["prod0"])
    assert {hit.record.product_id for hit in scoped} == {"prod0"}
    assert index.remove(["img4", "nope"]) == 1
    assert len(index) == 5
    assert "img4" not in {hit.record.image_id for hit in index.search(_unit(4), 6)}
    assert sorted(r.image_id for r in index.records()) == ["img0", "img1", "img2", "img3", "img5"]


def test_adding_an_id_again_replaces_it(index: VectorIndex) -> None:
    records = _records(2)
    index.add(records, np.stack([_unit(0), _unit(1)]))
    index.add([ImageRecord("img0", "prod9", None, "enrollment", "room")], _unit(7)[None, :])
    assert len(index) == 2
    (best,) = index.search(_unit(7), 1)
    assert (best.record.image_id, best.record.product_id, best.record.source) == (
        "img0",
        "prod9",
        "enrollment",
    )


def test_wrong_shapes_are_refused(index: VectorIndex) -> None:
    with pytest.raises(ValueError):
        index.add(_records(2), np.zeros((3, DIM), np.float32))

"""The FAISS index: add, replace, remove, scope, persist crash-safely, rebuild."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vitrine.search.embedder import l2_normalise
from vitrine.search.index import FaissIndex, ImageRecord, IndexCorrupted

DIM = 16


def _vectors(count: int, seed: int = 0) -> np.ndarray:
    return l2_normalise(np.random.default_rng(seed).normal(size=(count, DIM)))


def _records(count: int) -> list[ImageRecord]:
    return [ImageRecord(f"img-{n}", f"prod-{n // 2}") for n in range(count)]


@pytest.fixture
def filled() -> tuple[FaissIndex, np.ndarray]:
    vectors = _vectors(10)
    index = FaissIndex(DIM)
    index.add(_records(10), vectors)
    return index, vectors


def test_search_finds_the_same_vector_first(filled: tuple[FaissIndex, np.ndarray]) -> None:
    index, vectors = filled
    hits = index.search(vectors[3], k=3)
    assert hits[0].record.image_id == "img-3"
    assert hits[0].score == pytest.approx(1.0, abs=1e-5)
    assert len(hits) == 3


def test_adding_an_existing_image_id_replaces_it(filled: tuple[FaissIndex, np.ndarray]) -> None:
    index, vectors = filled
    index.add([ImageRecord("img-3", "prod-9")], vectors[7:8])
    assert len(index) == 10
    assert {hit.record.product_id for hit in index.search(vectors[7], k=2)} == {"prod-3", "prod-9"}


def test_remove_forgets_pictures(filled: tuple[FaissIndex, np.ndarray]) -> None:
    index, vectors = filled
    assert index.remove(["img-3", "no-such-image"]) == 1
    assert len(index) == 9
    assert all(hit.record.image_id != "img-3" for hit in index.search(vectors[3], k=9))


def test_showroom_scope_limits_products(filled: tuple[FaissIndex, np.ndarray]) -> None:
    index, vectors = filled
    hits = index.search(vectors[3], k=10, allowed_product_ids={"prod-4"})
    assert {hit.record.image_id for hit in hits} == {"img-8", "img-9"}
    assert index.search(vectors[3], k=10, allowed_product_ids=set()) == []


def test_empty_index_finds_nothing() -> None:
    assert FaissIndex(DIM).search(_vectors(1)[0], k=5) == []


def test_bad_vectors_change_nothing(filled: tuple[FaissIndex, np.ndarray]) -> None:
    index, _ = filled
    with pytest.raises(ValueError):
        index.add(_records(2), np.zeros((2, DIM + 1), np.float32))
    with pytest.raises(ValueError):
        index.add(_records(1), np.full((1, DIM), np.nan, np.float32))
    with pytest.raises(ValueError):
        index.add([ImageRecord("x", "p"), ImageRecord("x", "p")], _vectors(2))
    assert len(index) == 10


def test_save_and_load_round_trip(filled: tuple[FaissIndex, np.ndarray], tmp_path: Path) -> None:
    index, vectors = filled
    index.add([ImageRecord("enr-1", "prod-1", "v-red", "enrollment", "paris")], _vectors(1, 5))
    index.save(tmp_path)
    loaded = FaissIndex.load(tmp_path)
    assert loaded.records() == index.records()
    assert loaded.search(vectors[4], k=1)[0].record.image_id == "img-4"
    loaded.add([ImageRecord("new", "prod-7")], _vectors(1, 9))
    assert len(loaded) == 12  # keys keep counting after a reload


def test_interrupted_save_leaves_the_old_index_loadable(
    filled: tuple[FaissIndex, np.ndarray], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index, _ = filled
    index.save(tmp_path)
    index.remove(["img-0", "img-1"])

    def crash(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("vitrine.search.index._fsync_write", crash)
    with pytest.raises(OSError):
        index.save(tmp_path)
    monkeypatch.undo()
    assert len(FaissIndex.load(tmp_path)) == 10
    index.save(tmp_path)  # the next save succeeds and cleans the leftovers
    assert len(FaissIndex.load(tmp_path)) == 8
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "manifest.json",
        "records-2.json",
        "vectors-2.faiss",
    ]


def test_missing_or_damaged_index_is_a_typed_error(tmp_path: Path) -> None:
    with pytest.raises(IndexCorrupted):
        FaissIndex.load(tmp_path)
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(IndexCorrupted):
        FaissIndex.load(tmp_path)


def test_rebuild_from_records(filled: tuple[FaissIndex, np.ndarray]) -> None:
    _, vectors = filled
    rebuilt = FaissIndex.rebuild(_records(10), vectors)
    assert len(rebuilt) == 10
    assert rebuilt.search(vectors[6], k=1)[0].record.image_id == "img-6"
    np.testing.assert_allclose(rebuilt.vectors(["img-6"])[0], vectors[6], atol=1e-6)


def test_ivf_index_for_large_catalogs() -> None:
    vectors = _vectors(400)
    records = [ImageRecord(f"i{n}", f"p{n}") for n in range(400)]
    index = FaissIndex.rebuild(records, vectors, factory="IVF8,Flat")
    index.nprobe = 8
    assert index.search(vectors[42], k=1)[0].record.image_id == "i42"
    assert index.remove(["i42"]) == 1
    assert index.search(vectors[42], k=1, allowed_product_ids={"p7"})[0].record.image_id == "i7"

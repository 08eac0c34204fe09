from pathlib import Path

import numpy as np

from vitrine.search.index import ImageRecord
from vitrine.search.raw_vectors import RawVectors


def _filled() -> RawVectors:
    raw = RawVectors()
    records = [ImageRecord("a", "p1"), ImageRecord("b", "p1"), ImageRecord("c", "p2")]
    raw.add(records, np.eye(3, 4, dtype=np.float32))
    raw.add_views("a", np.full((2, 4), 0.5, np.float32))
    raw.add_views("c", np.full((3, 4), 0.25, np.float32))
    raw.add_views("unknown", np.ones((1, 4), np.float32))  # not indexed: ignored
    return raw


def test_views_join_the_training_set_and_leave_with_their_picture() -> None:
    raw = _filled()
    vectors, products = raw.training_set()
    assert vectors.shape == (3 + 2 + 3, 4)
    assert products == ["p1", "p1", "p2", "p1", "p1", "p2", "p2", "p2"]
    assert raw.viewed() == {"a", "c"}
    assert raw.without_views(["a", "b", "c", "zzz"]) == ["b"]
    raw.remove(["c"])
    assert raw.viewed() == {"a"}
    assert len(raw.training_set()[1]) == 2 + 2


def test_round_trip_and_files_written_before_views_existed(tmp_path: Path) -> None:
    path = tmp_path / "raw.npz"
    _filled().save(path)
    loaded = RawVectors.load(path)
    np.testing.assert_array_equal(loaded.training_set()[0], _filled().training_set()[0])
    assert loaded.viewed() == {"a", "c"}
    with np.load(path) as stored:  # an index saved by an older version: no view arrays
        np.savez(tmp_path / "old.npz", records=stored["records"], vectors=stored["vectors"])
    old = RawVectors.load(tmp_path / "old.npz")
    assert len(old) == 3 and old.viewed() == set()
    (tmp_path / "broken.npz").write_bytes(b"not a zip")
    assert len(RawVectors.load(tmp_path / "broken.npz")) == 0

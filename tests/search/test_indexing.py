"""Indexing pictures: everything readable is added with its keypoints, bad files are reported."""

from __future__ import annotations

from tests.search.pictures import draw_product, encode
from tests.search.test_pipeline import ThumbnailEmbedder
from vitrine.search.index import FaissIndex, ImageRecord
from vitrine.search.indexing import index_pictures
from vitrine.search.keypoints import LocalFeatureStore


def test_good_pictures_are_indexed_and_bad_ones_reported() -> None:
    pictures = [(ImageRecord(f"img-{n}", f"p{n}"), encode(draw_product(n))) for n in range(5)]
    pictures.insert(2, (ImageRecord("broken", "p9"), b"not a picture"))
    pictures.append((ImageRecord("empty", "p9"), b""))
    index, store = FaissIndex(ThumbnailEmbedder.dim), LocalFeatureStore()
    report = index_pictures(
        pictures,
        embedder=ThumbnailEmbedder(),
        index=index,
        keypoints=store,
        batch_size=3,
        progress=False,
    )
    assert report.added == 5 == len(index) == len(store)
    assert set(report.rejected) == {"broken", "empty"}
    assert "not a picture" in report.rejected["broken"]
    assert {record.product_id for record in index.records()} == {f"p{n}" for n in range(5)}
    assert report.images_per_second > 0


def test_keypoints_are_optional() -> None:
    index = FaissIndex(ThumbnailEmbedder.dim)
    pictures = [(ImageRecord("a", "p"), encode(draw_product(1), "PNG"))]
    report = index_pictures(pictures, embedder=ThumbnailEmbedder(), index=index, progress=False)
    assert report.added == 1

"""Batch embedding on Ray: the in-process vectors and keypoints, the same search, bad files named.

One real local Ray cluster of 2 CPUs serves the module (Ray 2.60 refuses `local_mode`). The
`ray` xdist group asks `--dist loadgroup` to keep the module on one worker; with pytest 9.2 the
mark is ignored (pytest-xdist#1386), and a worker that gets some of these tests starts a cluster
of its own (`address="local"`), so two never share or collide.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import ray
from PIL import Image
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests.factories import write_csv, write_photo
from tests.search.pictures import add_catalog_product, draw_product, encode
from vitrine.catalog.models import ProductImage
from vitrine.cli import app
from vitrine.installation import Installation
from vitrine.search import distributed
from vitrine.search.distributed import EmbeddedBatch, RayBatchEmbedder
from vitrine.search.embedder import EmbedderConfig, OnnxEmbedder
from vitrine.search.images import load_image
from vitrine.search.keypoints import extract_local_features
from vitrine.search.service import SearchEngine

pytestmark = pytest.mark.xdist_group("ray")


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    ray.init(
        address="local",  # a new cluster of its own, whatever else runs on the machine
        num_cpus=2,
        include_dashboard=False,
        object_store_memory=128 * 1024 * 1024,
    )
    yield
    ray.shutdown()


@pytest.fixture
def ray_embedder(local_ray: None) -> Iterator[RayBatchEmbedder]:
    """Two actors, one per CPU of the cluster, stopped after the test."""
    with RayBatchEmbedder(batch_size=3) as embedder:
        yield embedder


def _pictures(seeds: range) -> list[tuple[str, bytes]]:
    return [(f"picture-{seed}", encode(draw_product(seed))) for seed in seeds]


def _embed_on_ray(
    embedder: RayBatchEmbedder, pictures: list[tuple[str, bytes]]
) -> list[EmbeddedBatch]:
    return list(embedder.embed_pictures(pictures, config=EmbedderConfig()))


def test_ray_gives_the_in_process_vectors_and_keypoints(ray_embedder: RayBatchEmbedder) -> None:
    pictures = _pictures(range(7))
    batches = _embed_on_ray(ray_embedder, pictures)
    images = [load_image(data, max_side=1024) for _, data in pictures]
    assert [len(batch.image_ids) for batch in batches] == [3, 3, 1]
    assert [i for batch in batches for i in batch.image_ids] == [i for i, _ in pictures]
    raw = np.concatenate([batch.raw for batch in batches])
    np.testing.assert_allclose(raw, OnnxEmbedder().raw(images), atol=1e-5)
    features = [found for batch in batches for found in batch.features]
    for image, found in zip(images, features, strict=True):
        expected = extract_local_features(image)
        assert len(found) == len(expected) > 20
        np.testing.assert_allclose(found.points, expected.points, atol=1e-3)
        np.testing.assert_array_equal(found.descriptors, expected.descriptors)


def test_broken_pictures_are_named_and_the_others_embedded(
    ray_embedder: RayBatchEmbedder,
) -> None:
    good = _pictures(range(2))
    pictures = [("empty", b""), good[0], ("text", b"name,price\n"), good[1]]
    batches = _embed_on_ray(ray_embedder, pictures)
    assert [i for batch in batches for i in batch.image_ids] == ["picture-0", "picture-1"]
    assert {i: why for batch in batches for i, why in batch.rejected.items()} == {
        "empty": "The file is empty (0 bytes).",
        "text": "The file is not a picture we can read.",
    }
    assert sum(len(batch.raw) for batch in batches) == 2


def _add_product(
    session: Session, installation: Installation, sku: str, seed: int
) -> tuple[str, ProductImage]:
    picture = encode(draw_product(seed), quality=92)
    image = add_catalog_product(session, installation.media, sku, picture)
    return image.product_id, image


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_reindex_on_ray_answers_like_the_in_process_index(
    ray_embedder: RayBatchEmbedder, installation: Installation, tmp_path: Path
) -> None:
    with installation.session_factory() as session, session.begin():
        added = [_add_product(session, installation, f"P{seed}", seed) for seed in range(5)]
        wanted, (broken, broken_key) = added[2][0], (added[4][1].id, added[4][1].media_key)
    installation.media.path_of(broken_key).write_bytes(b"")  # the file went bad on disk
    engines = {
        "in-process": SearchEngine(index_dir=tmp_path / "local", media=installation.media),
        "ray": SearchEngine(index_dir=tmp_path / "ray", media=installation.media),
    }
    with installation.session_factory() as session:
        reports = {
            "in-process": engines["in-process"].sync(db_session=session),
            "ray": engines["ray"].sync(db_session=session, batch_embedder=ray_embedder),
        }
    assert reports["ray"] == reports["in-process"]
    assert (reports["ray"].added, reports["ray"].unreadable) == (4, [broken])
    np.testing.assert_allclose(
        engines["ray"].raw.all()[1], engines["in-process"].raw.all()[1], atol=1e-5
    )
    shot = draw_product(2).crop((30, 10, 300, 230)).rotate(3, resample=Image.Resampling.BILINEAR)
    answers = {name: engine.search(encode(shot)) for name, engine in engines.items()}
    ranked = {
        name: [(found.product_id, round(found.score, 4)) for found in answer.results]
        for name, answer in answers.items()
    }
    assert ranked["ray"] == ranked["in-process"]
    assert answers["ray"].results[0].product_id == wanted


def test_cli_reindex_on_ray(local_ray: None, tmp_path: Path) -> None:
    write_photo(tmp_path / "a.jpg", (200, 40, 40))
    write_photo(tmp_path / "b.jpg", (40, 40, 200))
    catalog = write_csv(tmp_path / "c.csv", "sku,name,price,images", "A,A,1,a.jpg", "B,B,2,b.jpg")
    base = ["--data-dir", str(tmp_path / "data")]
    assert CliRunner().invoke(app, [*base, "catalog", "import", str(catalog)]).exit_code == 0
    result = CliRunner().invoke(app, [*base, "search", "reindex", "--ray", "local"])
    assert (result.exit_code, "search index: 2 pictures" in result.output) == (0, True)


def test_cli_reindex_on_ray_without_ray_installed_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(distributed, "is_available", lambda: False)
    result = CliRunner().invoke(
        app, ["--data-dir", str(tmp_path), "search", "reindex", "--ray", "local"]
    )
    assert result.exit_code == 1
    assert "pip install 'vitrine[scale]'" in result.output


def test_the_product_runs_without_importing_ray() -> None:
    code = (
        "import sys, vitrine.cli, vitrine.web, vitrine.search.service, vitrine.search.distributed;"
        "sys.exit('ray' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0

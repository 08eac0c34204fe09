"""The search engine follows the catalog: sync, enrollment, removal, persistence, rebuild."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from sqlalchemy.orm import Session

from tests.search.pictures import add_catalog_product
from vitrine.catalog import service as catalog
from vitrine.catalog.models import Product
from vitrine.installation import Installation
from vitrine.search import service as service_module
from vitrine.search.images import ImageRejected
from vitrine.search.service import FEATURES_FILE, SearchEngine
from vitrine.search.views import TRAINING_VIEWS

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def drawn_product(kind: str, size: int = 320) -> bytes:
    """A synthetic 'product' photo: distinct shapes, colours and print per kind."""
    image = Image.new("RGB", (size, size), (235, 232, 225))
    draw = ImageDraw.Draw(image)
    if kind == "tin":
        draw.rectangle((80, 40, 240, 290), fill=(200, 30, 30))
        for y in range(60, 280, 24):
            draw.text((100, y), "TOMATO SOUP", fill=(255, 255, 255))
    elif kind == "bottle":
        draw.ellipse((110, 30, 210, 120), fill=(20, 90, 200))
        draw.rectangle((100, 100, 220, 300), fill=(20, 90, 200))
        draw.text((118, 200), "BLUE WATER", fill=(255, 255, 0))
    else:
        for x in range(0, size, 20):
            draw.line((x, 0, size - x, size), fill=(30, 160, 60), width=6)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=92)
    return buffer.getvalue()


def _add_product(session: Session, installation: Installation, sku: str, kind: str) -> str:
    return add_catalog_product(session, installation.media, sku, drawn_product(kind)).product_id


@pytest.fixture
def products(installation: Installation) -> dict[str, str]:
    with installation.session_factory() as session, session.begin():
        return {
            kind: _add_product(session, installation, kind.upper(), kind)
            for kind in ("tin", "bottle", "stripes")
        }


def _engine(installation: Installation) -> SearchEngine:
    engine = SearchEngine(index_dir=installation.settings.index_dir, media=installation.media)
    with installation.session_factory() as session:
        engine.sync(db_session=session)
    return engine


def _cropped(kind: str) -> bytes:
    image = Image.open(io.BytesIO(drawn_product(kind))).crop((20, 10, 310, 300)).rotate(4)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def test_a_photo_finds_its_product_at_rank_one(
    installation: Installation, products: dict[str, str]
) -> None:
    engine = _engine(installation)
    assert len(engine) == 3
    assert engine.adapter is None  # three products are too few to learn from
    for kind, product_id in products.items():
        answer = engine.search(_cropped(kind))
        assert answer.results[0].product_id == product_id, kind
        assert {"embed", "index", "total"} <= set(answer.timings_ms)


def test_results_are_scoped_to_a_showroom(
    installation: Installation, products: dict[str, str]
) -> None:
    answer = _engine(installation).search(
        _cropped("tin"), showroom_product_ids=[products["bottle"]]
    )
    assert [match.product_id for match in answer.results] == [products["bottle"]]


def test_the_index_is_saved_and_reloaded_without_reembedding(
    installation: Installation, products: dict[str, str]
) -> None:
    _engine(installation)
    reloaded = SearchEngine(index_dir=installation.settings.index_dir, media=installation.media)
    assert len(reloaded) == 3
    assert reloaded.search(_cropped("bottle")).results[0].product_id == products["bottle"]


def test_a_lost_or_broken_index_is_rebuilt_from_the_database(
    installation: Installation, products: dict[str, str]
) -> None:
    saved = _engine(installation)
    index_dir = installation.settings.index_dir
    folder = index_dir / saved.generation
    (folder / "manifest.json").write_text("{broken")
    (folder / FEATURES_FILE).write_bytes(b"garbage")
    assert len(_engine(installation)) == 3
    shutil.rmtree(index_dir)
    assert len(_engine(installation)) == 3


def test_enrollment_photos_join_at_once_and_removed_products_leave(
    installation: Installation, products: dict[str, str]
) -> None:
    engine = _engine(installation)
    with installation.session_factory() as session:
        rows = catalog.add_enrollment_photos(
            db_session=session,
            media=installation.media,
            product_id=products["tin"],
            showroom_id=None,  # type: ignore[arg-type]
            photos=[_cropped("tin")],
        )
        session.commit()
    engine.add(rows)
    assert len(engine) == 4
    with installation.session_factory() as session, session.begin():
        session.delete(session.get(Product, products["stripes"]))
    with installation.session_factory() as session:
        report = engine.sync(db_session=session)
    assert (report.added, report.removed) == (0, 1)
    assert products["stripes"] not in {
        m.product_id for m in engine.search(_cropped("stripes")).results
    }


def test_bad_photos_are_refused_and_change_nothing(
    installation: Installation, products: dict[str, str]
) -> None:
    engine = _engine(installation)
    for data in (b"", b"not a picture", drawn_product("tin")[:500]):
        with pytest.raises(ImageRejected):
            engine.search(data)
    with pytest.raises(ImageRejected):
        engine.search(drawn_product("tin"), max_bytes=100)
    assert len(engine) == 3
    assert not Path(installation.settings.index_dir / "vectors.tmp").exists()


def _pattern(seed: int) -> bytes:
    """A distinct synthetic product per seed: coloured bars and a printed number."""
    import random

    rng = random.Random(seed)
    image = Image.new("RGB", (320, 320), (235, 232, 225))
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        x, y = rng.randrange(0, 260), rng.randrange(0, 260)
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        draw.rectangle((x, y, x + rng.randrange(30, 90), y + rng.randrange(30, 90)), fill=colour)
    draw.text((40, 150), f"PRODUCT {seed}", fill=(0, 0, 0))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=92)
    return buffer.getvalue()


def _shifted(data: bytes, dx: int) -> bytes:
    image = Image.open(io.BytesIO(data)).crop((dx, dx, 320 - dx, 320 - dx)).rotate(3)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def _patterned_products(installation: Installation, count: int) -> list[str]:
    with installation.session_factory() as session, session.begin():
        return [
            add_catalog_product(session, installation.media, f"P{seed}", _pattern(seed)).product_id
            for seed in range(count)
        ]


def test_the_shops_adapter_learns_from_training_views_and_enrollment_photos_and_is_kept(
    installation: Installation,
) -> None:
    ids = _patterned_products(installation, 12)
    engine = _engine(installation)
    # One studio picture per product: its seeded training views are what the adapter learns from.
    assert engine.adapter is not None
    assert len(engine.raw.training_set()[1]) >= 12 * (1 + TRAINING_VIEWS)
    assert engine.search(_shifted(_pattern(3), 14)).results[0].product_id == ids[3]
    with installation.session_factory() as session:
        for seed, product_id in enumerate(ids):
            rows = catalog.add_enrollment_photos(
                db_session=session,
                media=installation.media,
                product_id=product_id,
                showroom_id=None,
                photos=[_shifted(_pattern(seed), 8)],  # type: ignore[arg-type]
            )
            engine.add(rows)
            refit = engine.refit_later(rows)  # as the enrollment page does
            assert engine.search(_shifted(_pattern(seed), 14)).results  # searching meanwhile
            assert refit.result(timeout=120) is True
        session.commit()
    engine.save()
    fitted_on = len(engine.raw.training_set()[1])
    assert fitted_on >= 24 * (1 + TRAINING_VIEWS)
    assert engine.search(_shifted(_pattern(5), 14)).results[0].product_id == ids[5]
    reloaded = SearchEngine(index_dir=installation.settings.index_dir, media=installation.media)
    assert reloaded.adapter is not None
    assert len(reloaded) == 24
    assert len(reloaded.raw.training_set()[1]) == fitted_on  # the views were kept
    assert reloaded.search(_shifted(_pattern(7), 14)).results[0].product_id == ids[7]


def test_the_engine_runs_on_milvus_too(
    installation: Installation, products: dict[str, str]
) -> None:
    uri = str(installation.settings.data_dir / "milvus.db")
    engine = SearchEngine(
        index_dir=installation.settings.index_dir, media=installation.media, index_uri=uri
    )
    with installation.session_factory() as session:
        engine.sync(db_session=session)
    assert len(engine) == 3
    assert engine.search(_cropped("bottle")).results[0].product_id == products["bottle"]
    reopened = SearchEngine(
        index_dir=installation.settings.index_dir, media=installation.media, index_uri=uri
    )
    assert len(reopened) == 3
    assert reopened.search(_cropped("tin")).results[0].product_id == products["tin"]


def test_training_views_are_capped_to_a_fixed_sample_of_pictures(
    installation: Installation, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service_module, "MAX_VIEWED_PICTURES", 4)
    _patterned_products(installation, 11)
    engine = _engine(installation)
    first = engine.raw.viewed()
    assert len(first) == 4
    refits: list[object] = []
    with monkeypatch.context() as patched:
        patched.setattr(service_module, "refitted", lambda *args, **kwargs: refits.append(args))
        _engine(installation)  # a restart with nothing new: no refit
    assert refits == []
    shutil.rmtree(installation.settings.index_dir)
    again = _engine(installation)
    assert again.raw.viewed() == first  # the same sample every time


@pytest.mark.parametrize(
    ("single_at", "shortlist_at", "expected"),
    [(0.0, 1.01, "single"), (1.01, 0.0, "shortlist"), (1.01, 1.01, "not_found")],
)
def test_the_first_screen_is_one_product_a_short_list_or_not_found(
    installation: Installation,
    products: dict[str, str],
    single_at: float,
    shortlist_at: float,
    expected: str,
) -> None:
    from vitrine.search.pipeline import PipelineConfig

    config = PipelineConfig(not_found_threshold=single_at, shortlist_threshold=shortlist_at)
    engine = SearchEngine(
        index_dir=installation.settings.index_dir, media=installation.media, config=config
    )
    with installation.session_factory() as session:
        engine.sync(db_session=session)
    answer = engine.search(_cropped("tin"))
    assert answer.first_screen == expected
    assert 0.0 <= answer.shortlist_confidence <= 1.0
    shown = [match.product_id for match in answer.shortlist]
    if expected == "single":
        assert shown == [products["tin"]]
    elif expected == "shortlist":
        assert 2 <= len(shown) <= answer.shortlist_size and products["tin"] in shown
    else:
        assert shown == [] and answer.not_found

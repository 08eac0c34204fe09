"""The demo's fast start: pictures are searchable before serving, the slow part comes after."""

from __future__ import annotations

from sqlalchemy import select

from tests.search.pictures import add_catalog_product, draw_product, encode
from vitrine.catalog import service as catalog
from vitrine.catalog.models import ProductImage
from vitrine.demo.warmup import index_now_adapt_later
from vitrine.installation import Installation
from vitrine.search.service import SearchEngine


def _engine(installation: Installation) -> SearchEngine:
    return SearchEngine(index_dir=installation.settings.index_dir, media=installation.media)


def test_pictures_are_indexed_before_serving_and_the_refit_follows(
    installation: Installation,
) -> None:
    with installation.session_factory() as session, session.begin():
        for n in range(3):
            add_catalog_product(session, installation.media, f"P{n}", encode(draw_product(n)))
    with installation.session_factory() as session:
        rows = catalog.all_product_images(db_session=session)
    engine = _engine(installation)
    refit = index_now_adapt_later(engine, rows)
    assert len(engine) == 3  # searchable now, before the background preparation ends
    assert refit is not None and refit.result(timeout=300) is False  # 3 products: no adapter
    assert len(engine.raw.viewed()) == 3  # the training views were made in the background

    with installation.session_factory() as session, session.begin():
        session.delete(session.scalars(select(ProductImage)).first())
    with installation.session_factory() as session:
        rows = catalog.all_product_images(db_session=session)
    again = _engine(installation)  # the next start, from the saved index
    assert len(again) == 3
    later = index_now_adapt_later(again, rows)
    assert len(again) == 2  # the removed picture left before serving
    assert later is not None
    later.result(timeout=300)


def test_in_store_photos_of_a_taught_demo_join_in_the_background(
    installation: Installation,
) -> None:
    with installation.session_factory() as session, session.begin():
        image = add_catalog_product(session, installation.media, "P0", encode(draw_product(0)))
        product_id = image.product_id
    with installation.session_factory() as session:
        catalog.add_enrollment_photos(
            db_session=session,
            media=installation.media,
            product_id=product_id,
            showroom_id=None,  # type: ignore[arg-type]
            photos=[encode(draw_product(5)), encode(draw_product(6))],
        )
        session.commit()
        rows = catalog.all_product_images(db_session=session)
    engine = _engine(installation)
    background = index_now_adapt_later(engine, rows)
    assert len(engine) == 1  # the catalog picture before serving
    assert background is not None
    background.result(timeout=300)
    assert len(engine) == 3  # then the in-store photos

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

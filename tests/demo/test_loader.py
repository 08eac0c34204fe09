"""The demo showroom loads the shipped catalog of real photos, and loading twice changes nothing."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vitrine.accounts.service import check_password
from vitrine.catalog.models import Product, ProductImage
from vitrine.demo.loader import DEMO_OPERATOR_EMAIL, demo_instore_photos, load_demo
from vitrine.installation import Installation
from vitrine.showrooms.service import count_display_items


def _load(installation: Installation):  # type: ignore[no-untyped-def]
    with installation.session_factory() as session, session.begin():
        return load_demo(
            db_session=session,
            media=installation.media,
            data_dir=installation.settings.data_dir,
            currency="EUR",
        )


def test_demo_loads_the_catalog_a_showroom_and_an_operator(
    installation: Installation, db_session: Session
) -> None:
    loaded = _load(installation)
    assert loaded.catalog_report is not None
    assert len(loaded.catalog_report.created) == 81
    assert loaded.catalog_report.problems == []
    assert count_display_items(db_session=db_session, showroom=loaded.showroom) == 81
    assert db_session.scalar(select(func.count()).select_from(ProductImage)) == 81
    assert loaded.operator_password is not None
    account = check_password(
        db_session=db_session, email=DEMO_OPERATOR_EMAIL, password=loaded.operator_password
    )
    assert account is not None
    assert account.role == "admin"
    assert account.password_hash != loaded.operator_password


def test_loading_the_demo_twice_is_safe(installation: Installation, db_session: Session) -> None:
    first = _load(installation)
    second = _load(installation)
    assert second.catalog_report is None
    assert second.showroom.id == first.showroom.id
    assert second.operator_password == first.operator_password
    assert db_session.scalar(select(func.count()).select_from(Product)) == 81


def test_a_taught_demo_enrolls_three_shipped_in_store_photos_per_product(
    installation: Installation, db_session: Session
) -> None:
    with installation.session_factory() as session, session.begin():
        loaded = load_demo(
            db_session=session,
            media=installation.media,
            data_dir=installation.settings.data_dir,
            currency="EUR",
            taught=True,
        )
    enrolled = select(ProductImage.product_id, func.count()).where(
        ProductImage.source == "enrollment", ProductImage.showroom_id == loaded.showroom.id
    )
    per_product = dict(db_session.execute(enrolled.group_by(ProductImage.product_id)).all())
    assert len(per_product) == 81
    assert set(per_product.values()) == {3}
    assert all(path.is_file() for paths in demo_instore_photos().values() for path in paths)

"""Importing a catalog stores every valid product whole, reports the rest, and is safe to repeat."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.factories import write_csv, write_photo
from vitrine.catalog.importer import read_catalog_file
from vitrine.catalog.models import Product, ProductImage, Variant
from vitrine.catalog.service import ImportReport, get_product_by_sku, import_catalog
from vitrine.installation import Installation

HEADER = "sku,name,price,variant_sku,variant_label,images"


def _import(installation: Installation, path: Path) -> ImportReport:
    parsed = read_catalog_file(path, default_currency="EUR")
    with installation.session_factory() as session, session.begin():
        return import_catalog(db_session=session, media=installation.media, parsed=parsed)


def _count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_valid_products_are_stored_with_variants_and_images(
    installation: Installation, db_session: Session, tmp_path: Path
) -> None:
    write_photo(tmp_path / "tee.jpg")
    path = write_csv(
        tmp_path / "c.csv", HEADER, "TEE,Tee,19.90,TEE-S,S,tee.jpg", "TEE,,21.90,TEE-M,M,"
    )
    report = _import(installation, path)
    assert (report.created, report.updated, report.problems) == (["TEE"], [], [])
    tee = get_product_by_sku(db_session=db_session, sku="TEE")
    assert tee is not None
    assert [(v.sku, v.price_minor) for v in tee.variants] == [("TEE-S", 1990), ("TEE-M", 2190)]
    (image,) = tee.images
    assert installation.media.path_of(image.media_key).is_file()


def test_a_product_with_a_bad_image_is_skipped_whole(
    installation: Installation, db_session: Session, tmp_path: Path
) -> None:
    write_photo(tmp_path / "ok.jpg")
    (tmp_path / "notes.jpg").write_text("not a picture")
    path = write_csv(
        tmp_path / "c.csv",
        HEADER,
        "OK,Fine,1,,,ok.jpg",
        "GONE,Missing image,1,,,absent.jpg",
        "FAKE,Fake image,1,,,notes.jpg",
    )
    report = _import(installation, path)
    absent = tmp_path / "absent.jpg"
    assert report.created == ["OK"]
    assert [str(p) for p in report.problems] == [
        f"line 3: image {absent}: image file {absent} does not exist",
        f"line 4: image {tmp_path / 'notes.jpg'}: the file is not an image",
    ]
    assert _count(db_session, Product) == 1
    assert _count(db_session, Variant) == 1


def test_importing_again_updates_instead_of_duplicating(
    installation: Installation, db_session: Session, tmp_path: Path
) -> None:
    write_photo(tmp_path / "a.jpg")
    _import(installation, write_csv(tmp_path / "c.csv", HEADER, "A,Old name,1,,,a.jpg"))
    report = _import(installation, write_csv(tmp_path / "c.csv", HEADER, "A,New name,2,,,a.jpg"))
    assert (report.created, report.updated) == ([], ["A"])
    product = get_product_by_sku(db_session=db_session, sku="A")
    assert product is not None
    assert product.name == "New name"
    assert [v.price_minor for v in product.variants] == [200]
    assert _count(db_session, ProductImage) == 1


def test_a_variant_sku_owned_by_another_product_is_refused(
    installation: Installation, db_session: Session, tmp_path: Path
) -> None:
    _import(installation, write_csv(tmp_path / "a.csv", HEADER, "A,First,1,SHARED,,"))
    report = _import(installation, write_csv(tmp_path / "b.csv", HEADER, "B,Second,1,SHARED,,"))
    assert [str(p) for p in report.problems] == ["line 2: SKU SHARED already belongs to product A"]
    assert get_product_by_sku(db_session=db_session, sku="B") is None

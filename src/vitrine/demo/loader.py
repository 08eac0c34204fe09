"""Loads the shipped demo catalog, a demo showroom and a first operator; safe to run twice."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from vitrine.accounts.passwords import generate_password
from vitrine.accounts.service import count_operators, create_operator
from vitrine.catalog import stock_service as stock
from vitrine.catalog.importer import read_catalog_file
from vitrine.catalog.models import Product
from vitrine.catalog.service import (
    ImportReport,
    add_enrollment_photos,
    import_catalog,
    list_products,
    set_rate,
)
from vitrine.lockers import site_service as lockers
from vitrine.media import MediaStore
from vitrine.showrooms.models import Showroom
from vitrine.showrooms.service import (
    create_showroom,
    ensure_shelf_tags,
    get_showroom_by_slug,
    put_on_display,
)

DEMO_DATA = Path(__file__).resolve().parent / "data"
DEMO_CATALOG = DEMO_DATA / "catalog.json"
# In-store photos of each demo product (3 per product, Grocery train split, see its NOTICE):
# catalog image -> photos. They teach the search at first start, as a shop's staff would.
DEMO_INSTORE = DEMO_DATA / "instore.json"
DEMO_SHOWROOM_SLUG = "les-halles"
DEMO_OPERATOR_EMAIL = "operator@vitrine.local"
OPERATOR_LOGIN_FILE = "demo-operator-login.txt"
DEMO_WAREHOUSE = "WH-PARIS"
DEMO_UNITS_PER_VARIANT = 25
# Display-only rates from EUR (a retailer updates them daily); charging stays in EUR.
DEMO_RATES = {"CNY": Decimal("7.80"), "USD": Decimal("1.08"), "GBP": Decimal("0.85")}
DEMO_LOCKERS = [
    ("PAR-HALLES", "Les Halles", "1 rue Pierre Lescot, 75001 Paris", 48.8619, 2.3470),
    ("PAR-REPUBLIQUE", "République", "12 place de la République, 75011 Paris", 48.8674, 2.3636),
    ("PAR-BASTILLE", "Bastille", "3 rue de la Roquette, 75011 Paris", 48.8539, 2.3713),
    ("PAR-MONTPARNASSE", "Montparnasse", "17 rue de l'Arrivée, 75015 Paris", 48.8424, 2.3219),
    ("PAR-BATIGNOLLES", "Batignolles", "20 rue des Batignolles, 75017 Paris", 48.8838, 2.3199),
    ("PAR-NATION", "Nation", "4 place de la Nation, 75012 Paris", 48.8484, 2.3959),
]
DEMO_COMPARTMENTS = {"S": 6, "M": 4, "L": 2}


@dataclass
class DemoLoad:
    showroom: Showroom
    catalog_report: ImportReport | None
    operator_email: str
    operator_password: str | None  # None when the operator existed before and its password is gone


def load_demo(
    *,
    db_session: Session,
    media: MediaStore,
    data_dir: Path,
    currency: str,
    taught: bool = False,
) -> DemoLoad:
    """Import the demo catalog (once), open the demo showroom and create the first operator.

    ``taught``: the first load also enrolls the shipped in-store photos of every product (the
    search then answers like a shop whose staff photographed its display).
    """
    showroom = get_showroom_by_slug(db_session=db_session, slug=DEMO_SHOWROOM_SLUG)
    report = None
    if showroom is None:
        parsed = read_catalog_file(DEMO_CATALOG, default_currency="EUR")
        report = import_catalog(db_session=db_session, media=media, parsed=parsed)
        showroom = create_showroom(
            db_session=db_session,
            slug=DEMO_SHOWROOM_SLUG,
            name="Vitrine Les Halles",
            currency=currency,
            address="101 Porte Berger, 75001 Paris",
        )
        products = list_products(db_session=db_session)
        put_on_display(
            db_session=db_session, showroom=showroom, product_ids=[p.id for p in products]
        )
        ensure_shelf_tags(db_session=db_session, showroom=showroom)
        _stock_and_rates(db_session, products)
        if taught:
            _enroll_instore_photos(db_session, media, showroom, products)
    password = _ensure_operator(db_session=db_session, data_dir=data_dir)
    return DemoLoad(showroom, report, DEMO_OPERATOR_EMAIL, password)


def _ensure_operator(*, db_session: Session, data_dir: Path) -> str | None:
    login_file = data_dir / OPERATOR_LOGIN_FILE
    if count_operators(db_session=db_session) > 0:
        return login_file.read_text().strip() if login_file.is_file() else None
    password = generate_password()
    create_operator(
        db_session=db_session, email=DEMO_OPERATOR_EMAIL, password=password, role="admin"
    )
    # Only the hash is in the database; the demo keeps its first password for the person who
    # started it, readable by them alone, so a second `vitrine demo` can print it again.
    login_file.write_text(password + "\n")
    os.chmod(login_file, 0o600)
    return password


def demo_instore_photos() -> dict[str, list[Path]]:
    """SKU -> the shipped in-store photos of that demo product."""
    catalog = json.loads(DEMO_CATALOG.read_text())
    photos = json.loads(DEMO_INSTORE.read_text())
    return {
        product["sku"]: [DEMO_DATA / name for name in photos.get(product["images"][0], [])]
        for product in catalog["products"]
    }


def _enroll_instore_photos(
    db_session: Session, media: MediaStore, showroom: Showroom, products: list[Product]
) -> None:
    photos_of = demo_instore_photos()
    for product in products:
        paths = photos_of.get(product.sku, [])
        if paths:
            add_enrollment_photos(
                db_session=db_session,
                media=media,
                product_id=product.id,
                showroom_id=showroom.id,
                photos=[path.read_bytes() for path in paths],
            )


def _stock_and_rates(db_session: Session, products: list[Product]) -> None:
    for product in products:
        for variant in product.variants:
            stock.set_stock(
                db_session=db_session,
                variant_id=variant.id,
                warehouse_code=DEMO_WAREHOUSE,
                on_hand=DEMO_UNITS_PER_VARIANT,
            )
    for quote, rate in DEMO_RATES.items():
        set_rate(db_session=db_session, base="EUR", quote=quote, rate=rate)


def load_demo_lockers(*, session_factory: sessionmaker[Session]) -> int:
    """Open the demo parcel lockers around Les Halles (once); returns how many were created."""
    with session_factory() as session:
        if lockers.list_sites(db_session=session):
            return 0
        for ref, name, address, latitude, longitude in DEMO_LOCKERS:
            lockers.create_site(
                db_session=session,
                name=name,
                latitude=latitude,
                longitude=longitude,
                compartments=DEMO_COMPARTMENTS,
                address=address,
                ref=ref,
            )
    return len(DEMO_LOCKERS)

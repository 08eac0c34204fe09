"""Loads the shipped demo catalog, a demo showroom and a first operator; safe to run twice."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from vitrine.accounts.passwords import generate_password
from vitrine.accounts.service import count_operators, create_operator
from vitrine.catalog.importer import read_catalog_file
from vitrine.catalog.service import ImportReport, import_catalog, list_products
from vitrine.media import MediaStore
from vitrine.showrooms.models import Showroom
from vitrine.showrooms.service import create_showroom, get_showroom_by_slug, put_on_display

DEMO_CATALOG = Path(__file__).resolve().parent / "data" / "catalog.json"
DEMO_SHOWROOM_SLUG = "les-halles"
DEMO_OPERATOR_EMAIL = "operator@vitrine.local"
OPERATOR_LOGIN_FILE = "demo-operator-login.txt"


@dataclass
class DemoLoad:
    showroom: Showroom
    catalog_report: ImportReport | None
    operator_email: str
    operator_password: str | None  # None when the operator existed before and its password is gone


def load_demo(*, db_session: Session, media: MediaStore, data_dir: Path, currency: str) -> DemoLoad:
    """Import the demo catalog (once), open the demo showroom and create the first operator."""
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

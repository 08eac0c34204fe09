"""The locker tables exist after migration and the database itself refuses inconsistent rows."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tests.lockers.conftest import make_site
from vitrine.installation import Installation
from vitrine.lockers.models import LockerCompartment

LOCKER_TABLES = {
    "locker_sites",
    "locker_compartments",
    "locker_parcels",
    "locker_couriers",
    "locker_pickup_attempts",
    "outbox_messages",
}


def test_migrations_create_the_locker_tables(installation: Installation) -> None:
    assert set(inspect(installation.engine).get_table_names()) >= LOCKER_TABLES


def test_a_compartment_cannot_be_occupied_without_a_parcel(db_session: Session) -> None:
    site = make_site(db_session, compartments={})
    db_session.add(LockerCompartment(site_id=site.id, label="Z01", size="S", state="occupied"))
    with pytest.raises(IntegrityError):
        db_session.commit()
    db_session.rollback()
    db_session.add(LockerCompartment(site_id=site.id, label="Z01", size="S", state="lost"))
    with pytest.raises(IntegrityError):
        db_session.commit()

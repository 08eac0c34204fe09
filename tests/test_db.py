"""Migrations build the schema from an empty SQLite or PostgreSQL database and match the models."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from vitrine import migrations
from vitrine.db import Base, DatabaseUnavailable, check_connection, make_engine
from vitrine.installation import Installation
from vitrine.models import load_all_models

EXPECTED_TABLES = {
    "products",
    "variants",
    "product_images",
    "showrooms",
    "display_items",
    "operator_accounts",
    "alembic_version",
}


def test_migrations_create_every_table(installation: Installation) -> None:
    tables = set(inspect(installation.engine).get_table_names())
    assert tables >= EXPECTED_TABLES


def test_migrations_match_the_models(installation: Installation) -> None:
    load_all_models()
    with installation.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_migrations_go_down_and_up_again(installation: Installation) -> None:
    migrations.downgrade(installation.engine, "base")
    assert "products" not in inspect(installation.engine).get_table_names()
    migrations.upgrade(installation.engine)
    migrations.upgrade(installation.engine)  # a second upgrade is a no-op
    assert "products" in inspect(installation.engine).get_table_names()


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: object) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/wal.db")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()


def test_a_database_that_does_not_answer_is_named() -> None:
    engine = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    with pytest.raises(DatabaseUnavailable, match=r"127\.0\.0\.1:1.*does not answer"):
        check_connection(engine)

"""Alembic environment: runs migrations on the engine given by vitrine (or from settings)."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Engine

from vitrine.db import Base, make_engine
from vitrine.models import load_all_models
from vitrine.settings import get_settings

load_all_models()
target_metadata = Base.metadata


def _engine() -> Engine:
    given = context.config.attributes.get("engine")
    if given is not None:
        return given
    return make_engine(get_settings().resolved_database_url)


def run_migrations_online() -> None:
    engine = _engine()
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()

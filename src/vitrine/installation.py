"""One Vitrine installation: its settings, data directory, database and media store, opened once."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from vitrine import migrations
from vitrine.db import check_connection, make_engine, make_session_factory
from vitrine.media import MediaStore
from vitrine.settings import Settings


class DataDirError(RuntimeError):
    """The data directory cannot be created or written."""


@dataclass
class Installation:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    media: MediaStore

    def dispose(self) -> None:
        self.engine.dispose()


def prepare_data_dir(data_dir: Path) -> None:
    """Create the data directory (and its media folder) or explain why it cannot be used."""
    try:
        (data_dir / "media").mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DataDirError(f"cannot create data directory {data_dir}: {error.strerror}") from error
    if not data_dir.is_dir() or not os.access(data_dir, os.W_OK | os.X_OK):
        raise DataDirError(f"data directory {data_dir} is not writable")


def open_installation(settings: Settings, *, migrate: bool = True) -> Installation:
    """Prepare the data dir, connect to the database (checking it answers), migrate it."""
    prepare_data_dir(settings.data_dir)
    engine = make_engine(
        settings.resolved_database_url,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
    )
    check_connection(engine)
    if migrate:
        migrations.upgrade(engine)
    return Installation(
        settings=settings,
        engine=engine,
        session_factory=make_session_factory(engine),
        media=MediaStore(settings.media_dir),
    )

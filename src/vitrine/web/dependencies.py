"""Request-scoped dependencies shared by the API and page routers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from vitrine.installation import Installation


def get_installation(request: Request) -> Installation:
    installation: Installation = request.app.state.installation
    return installation


def get_db_session(request: Request) -> Iterator[Session]:
    with get_installation(request).session_factory() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_db_session)]
InstallationDep = Annotated[Installation, Depends(get_installation)]

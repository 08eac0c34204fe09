"""A test client over an installation with the demo showroom loaded."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from vitrine.demo.loader import load_demo
from vitrine.installation import Installation
from vitrine.web.app import create_app


@pytest.fixture
def demo_installation(installation: Installation) -> Installation:
    with installation.session_factory() as session, session.begin():
        load_demo(
            db_session=session,
            media=installation.media,
            data_dir=installation.settings.data_dir,
            currency="EUR",
        )
    return installation


@pytest.fixture
def client(demo_installation: Installation) -> Iterator[TestClient]:
    with TestClient(create_app(demo_installation)) as test_client:
        yield test_client

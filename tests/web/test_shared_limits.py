"""Limits shared across worker processes: two app instances on one Redis count together."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import redis
from fastapi.testclient import TestClient

from tests.web.conftest import csrf_of
from vitrine.installation import Installation
from vitrine.settings import Settings
from vitrine.web.app import create_app

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def prefix() -> Iterator[str]:
    unique = f"test-security-{uuid.uuid4().hex}"
    yield unique
    connection = redis.Redis.from_url(REDIS_URL)
    for key in connection.scan_iter(f"{unique}:*"):
        connection.delete(key)


def _ask_codes(app_client: TestClient, visitor: str, count: int) -> list[int]:
    app_client.cookies.set("vitrine_visitor", visitor)
    csrf = csrf_of(app_client, "/account")
    return [
        app_client.post(
            "/account/code", data={"email": f"x{i}@example.fr", "csrf_token": csrf}
        ).status_code
        for i in range(count)
    ]


@pytest.mark.parametrize("shared", [True, False], ids=["redis", "memory"])
def test_two_app_instances_share_their_limits_through_redis(
    demo_installation: Installation, settings: Settings, prefix: str, shared: bool
) -> None:
    """Two worker processes' apps: with Redis the 6th code asked anywhere is refused."""
    redis_url = REDIS_URL if shared else ""
    demo_installation.settings = settings.model_copy(
        update={"redis_url": redis_url, "redis_key_prefix": prefix}
    )
    with (
        TestClient(create_app(demo_installation)) as worker_a,
        TestClient(create_app(demo_installation)) as worker_b,
    ):
        assert _ask_codes(worker_a, "one-browser", 5) == [200] * 5
        assert _ask_codes(worker_b, "one-browser", 1) == ([429] if shared else [200])

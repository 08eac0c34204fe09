"""Moving-window counters: in Redis shared by prefix, in memory per process."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import redis

from vitrine.throttling.counters import Counters, Rule, open_counters

REDIS_URL = "redis://127.0.0.1:6379/0"
RULE = Rule("test", amount=3, seconds=60)


@pytest.fixture
def prefix() -> Iterator[str]:
    """A key prefix of this test's own on the shared Redis; its keys are removed afterwards."""
    unique = f"test-security-{uuid.uuid4().hex}"
    yield unique
    connection = redis.Redis.from_url(REDIS_URL)
    for key in connection.scan_iter(f"{unique}:*"):
        connection.delete(key)


@pytest.mark.parametrize("where", ["memory", "redis"])
def test_a_rule_counts_refuses_and_clears(where: str, prefix: str) -> None:
    counters = open_counters(REDIS_URL if where == "redis" else "", prefix)
    assert [counters.take(RULE, "a") for _ in range(3)] == [0, 0, 0]
    assert 58 <= counters.take(RULE, "a") <= 60
    assert counters.used(RULE, "a") == 3 and counters.used(RULE, "b") == 0
    counters.clear(RULE, "a")
    assert counters.take(RULE, "a") == 0


def test_two_counters_on_one_redis_share_only_their_prefix(prefix: str) -> None:
    first, second = open_counters(REDIS_URL, prefix), open_counters(REDIS_URL, prefix)
    other = open_counters(REDIS_URL, f"{prefix}-other")
    for _ in range(3):
        first.take(RULE, "a")
    assert second.take(RULE, "a") > 0
    assert other.take(RULE, "a") == 0
    assert isinstance(first, Counters)

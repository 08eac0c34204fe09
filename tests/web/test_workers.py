"""`vitrine serve --workers 2` on PostgreSQL: real worker processes that follow each other."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.search.test_service import _add_product, _cropped
from vitrine.catalog import service as catalog
from vitrine.installation import Installation, open_installation
from vitrine.search.service import SearchEngine
from vitrine.settings import Settings

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def shop(tmp_path: Path, postgres_url: str) -> Iterator[tuple[Installation, dict[str, str]]]:
    settings = Settings(environment="test", data_dir=tmp_path / "data", database_url=postgres_url)
    installation = open_installation(settings)
    with installation.session_factory() as session, session.begin():
        products = {
            kind: _add_product(session, installation, kind.upper(), kind)
            for kind in ("tin", "bottle", "stripes")
        }
    yield installation, products
    installation.dispose()


@pytest.fixture
def two_workers(shop: tuple[Installation, dict[str, str]]) -> Iterator[str]:
    installation, _ = shop
    port = _free_port()
    command = [sys.executable, "-m", "vitrine"]
    options = ["--data-dir", str(installation.settings.data_dir)]
    options += ["--database-url", installation.settings.resolved_database_url]
    environment = {k: v for k, v in os.environ.items() if not k.startswith("VITRINE_")}
    server = subprocess.Popen(
        [*command, *options, "serve", "--port", str(port), "--workers", "2"],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_ready(base, server)
        yield base
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _wait_until_ready(base: str, server: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(
                f"the server stopped: {server.stderr.read() if server.stderr else ''}"
            )
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise AssertionError("the workers were not ready within 180 s")


def _generations_by_worker(base: str, rounds: int = 30) -> dict[int, str]:
    """Each new connection may land on either worker: ask until both have answered."""
    seen: dict[int, str] = {}
    for _ in range(rounds):
        body = httpx.get(f"{base}/readyz", timeout=5).json()
        seen[body["process"]] = body["search_generation"]
        if len(seen) == 2 and rounds > 10:
            rounds = 10  # a few more rounds so both are asked again
    return seen


def test_an_enrollment_by_another_process_is_searchable_in_every_worker_within_5_s(
    shop: tuple[Installation, dict[str, str]], two_workers: str
) -> None:
    installation, products = shop
    before = _generations_by_worker(two_workers)
    assert len(before) == 2, "both workers answered"
    assert len(set(before.values())) == 1  # they loaded the generation `serve` saved

    # A third process (as `vitrine search enroll` or another server would) enrolls a photo.
    with installation.session_factory() as session:
        rows = catalog.add_enrollment_photos(
            db_session=session,
            media=installation.media,
            product_id=products["stripes"],
            showroom_id=None,  # type: ignore[arg-type]
            photos=[_cropped("stripes")],
        )
        session.commit()
    enroller = SearchEngine(index_dir=installation.settings.index_dir, media=installation.media)
    enrolled_at = time.monotonic()
    enroller.add(rows)
    wanted = enroller.generation

    while time.monotonic() - enrolled_at < 10:
        now = _generations_by_worker(two_workers, rounds=12)
        if len(now) == 2 and set(now.values()) == {wanted}:
            break
        time.sleep(0.2)
    followed_in = time.monotonic() - enrolled_at
    assert set(now.values()) == {wanted}
    assert followed_in < 5, f"workers followed in {followed_in:.1f} s"

    metrics = httpx.get(f"{two_workers}/metrics", timeout=5).text
    assert 'route="/readyz"' in metrics  # counted across both workers
    photo = {"image": ("stripes.png", _cropped("stripes"), "image/png")}
    for _ in range(4):  # new connections: both workers answer with the new photo indexed
        found = httpx.post(f"{two_workers}/api/v1/search", files=photo, timeout=30).json()
        assert found["results"][0]["product_id"] == products["stripes"]

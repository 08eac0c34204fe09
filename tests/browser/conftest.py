"""A live demo server on a free port and Debian's chromium driven by Playwright."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI

from vitrine.demo.loader import load_demo, load_demo_lockers
from vitrine.installation import Installation, open_installation
from vitrine.search.service import SearchEngine
from vitrine.settings import Settings
from vitrine.web.app import create_app

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
TEST_PHOTOS = Path(__file__).resolve().parents[1] / "data"
PHONE = {"width": 390, "height": 844}

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class LiveShop:
    url: str
    installation: Installation


@pytest.fixture(scope="session")
def live_shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveShop]:
    data_dir = tmp_path_factory.mktemp("browser-data")
    settings = Settings(environment="test", data_dir=data_dir)
    installation = open_installation(settings)
    with installation.session_factory() as session, session.begin():
        load_demo(db_session=session, media=installation.media, data_dir=data_dir, currency="EUR")
    load_demo_lockers(session_factory=installation.session_factory)
    engine = SearchEngine(index_dir=settings.index_dir, media=installation.media)
    with installation.session_factory() as session:
        engine.sync(db_session=session)
    with serving(create_app(installation, search_engine=engine)) as url:
        yield LiveShop(url, installation)
    installation.dispose()


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """``app`` served by uvicorn on a free port of this machine, on a thread: its URL."""
    port = _free_port()
    config = uvicorn.Config(app, port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"chromium is not installed at {CHROMIUM} (bash .ci/run installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def phone_page(browser: object) -> Iterator[object]:
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)  # type: ignore[attr-defined]
    page = context.new_page()
    yield page
    context.close()


def screenshot(page: object, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)  # type: ignore[attr-defined]
    return path


@pytest.fixture
def live_server(live_shop: LiveShop) -> str:
    return live_shop.url

"""The server under test: a data dir with a catalog, `vitrine serve` in child processes, /proc.

Everything runs on 127.0.0.1 in a temporary folder; a PostgreSQL database made for the run is
dropped at the end. The server is the code `vitrine` imports in this interpreter (set
PYTHONPATH to measure another checkout).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

POSTGRES_ADMIN_URL = os.environ.get(
    "VITRINE_LOAD_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
TICKS = os.sysconf("SC_CLK_TCK")
SMOKE_SLUG = "smoke"
DEMO_SLUG = "les-halles"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database for one run, dropped afterwards (even on failure)."""
    from sqlalchemy import create_engine, text

    name = f"vitrine_load_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _vitrine(data_dir: Path, database_url: str, *args: str) -> list[str]:
    command = [sys.executable, "-m", "vitrine", "--data-dir", str(data_dir)]
    if database_url:
        command += ["--database-url", database_url]
    return [*command, *args]


def _wait_for(url: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server stopped (exit {process.returncode}) before answering")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")


def _stop(process: subprocess.Popen[bytes], grace: float = 30) -> None:
    """SIGINT (a clean stop: lifespans run, queued analytics are stored), then SIGKILL."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def prepare_demo(data_dir: Path, database_url: str, log: Path, timeout: float = 1200) -> None:
    """`vitrine demo --no-browser` until it serves (catalog loaded, index built), then stop it."""
    port = free_port()
    with log.open("ab") as out:
        demo = subprocess.Popen(
            _vitrine(data_dir, database_url, "demo", "--no-browser", "--port", str(port)),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_for(f"http://127.0.0.1:{port}/healthz", demo, timeout)
        finally:
            _stop(demo)


def cached_demo(cache: Path, data_dir: Path, log: Path) -> None:
    """The SQLite demo data dir, prepared once per code version in `cache` and copied."""
    if not (cache / "vitrine.db").is_file():
        shutil.rmtree(cache, ignore_errors=True)
        prepare_demo(cache, "", log)
    shutil.copytree(cache, data_dir)


def photo_png(size: int = 480, colour: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    """A product-like picture: a coloured shape with a stripe on a light background."""
    from PIL import Image, ImageDraw

    picture = Image.new("RGB", (size, size), (235, 235, 230))
    draw = ImageDraw.Draw(picture)
    draw.ellipse((size // 6, size // 6, size * 5 // 6, size * 5 // 6), fill=colour)
    draw.rectangle((size // 3, size // 2 - 20, size * 2 // 3, size // 2 + 20), fill=(20, 20, 90))
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


def prepare_smoke(data_dir: Path, database_url: str) -> None:
    """A two-product showroom with generated photos and deep stock (seconds, not minutes)."""
    from vitrine.catalog.importer import read_catalog_file
    from vitrine.catalog.service import import_catalog, list_products
    from vitrine.installation import open_installation
    from vitrine.settings import Settings
    from vitrine.showrooms.service import create_showroom, put_on_display

    images = data_dir.parent / "smoke-images"
    images.mkdir(parents=True, exist_ok=True)
    products = []
    for number, colour in enumerate([(200, 40, 40), (40, 160, 60)]):
        (images / f"p{number}.png").write_bytes(photo_png(colour=colour))
        products.append(
            {
                "sku": f"SMOKE-{number}",
                "name": f"Smoke product {number}",
                "images": [f"p{number}.png"],
                "variants": [{"sku": f"SMOKE-{number}-1", "label": "one", "price": "2.50"}],
            }
        )
    catalog = images / "catalog.json"
    catalog.write_text(json.dumps({"products": products}))
    settings = Settings(environment="test", data_dir=data_dir, database_url=database_url)
    installation = open_installation(settings)
    try:
        with installation.session_factory() as session, session.begin():
            parsed = read_catalog_file(catalog, default_currency="EUR")
            import_catalog(db_session=session, media=installation.media, parsed=parsed)
            showroom = create_showroom(
                db_session=session, slug=SMOKE_SLUG, name="Smoke", currency="EUR"
            )
            shown = list_products(db_session=session)
            put_on_display(db_session=session, showroom=showroom, product_ids=[p.id for p in shown])
        deep_stock(installation.session_factory)
    finally:
        installation.dispose()


def deep_stock(session_factory: object) -> None:
    """Every variant gets enough units for the whole run (a sold-out page is not a load error)."""
    from vitrine.catalog import stock_service as stock
    from vitrine.catalog.models import Variant

    with session_factory() as session, session.begin():  # type: ignore[operator]
        from sqlalchemy import select

        for variant_id in session.scalars(select(Variant.id)):
            stock.set_stock(
                db_session=session, variant_id=variant_id, warehouse_code="WH-LOAD", on_hand=100_000
            )


def deepen_stock(data_dir: Path, database_url: str) -> None:
    from vitrine.installation import open_installation
    from vitrine.settings import Settings

    settings = Settings(environment="test", data_dir=data_dir, database_url=database_url)
    installation = open_installation(settings)
    try:
        deep_stock(installation.session_factory)
    finally:
        installation.dispose()


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found += [int(child) for child in task.read_text().split()]
        except OSError:
            continue
    return found


def process_tree(pid: int) -> list[int]:
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo += _children(current)
    return tree


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (its threads included), from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def rss_bytes(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


@dataclass
class Server:
    """`vitrine serve` on 127.0.0.1 for one run."""

    data_dir: Path
    database_url: str
    workers: int
    log: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 900) -> None:
        arguments = ["serve", "--port", str(self.port)]
        if self.workers != 1:
            arguments += ["--workers", str(self.workers)]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                _vitrine(self.data_dir, self.database_url, *arguments),
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, "VITRINE_ENVIRONMENT": "development"},
            )
        _wait_for(f"{self.url}/healthz", self.process, timeout)
        if self.workers > 1:  # every worker answers before the clock starts
            deadline = time.monotonic() + timeout
            while len(self.worker_pids()) < self.workers and time.monotonic() < deadline:
                time.sleep(0.5)

    def stop(self) -> None:
        if self.process is not None:
            _stop(self.process)

    def pids(self) -> list[int]:
        return process_tree(self.process.pid) if self.process else []

    def worker_pids(self) -> list[int]:
        """The processes that serve requests (the parent too when it is the only one)."""
        tree = self.pids()
        serving = [pid for pid in tree if rss_bytes(pid) > 100 * 2**20]
        return serving or tree[:1]

    def cpu_seconds(self) -> float:
        return sum(cpu_seconds(pid) for pid in self.pids())

    def rss_by_worker(self) -> dict[int, int]:
        return {pid: rss_bytes(pid) for pid in self.worker_pids()}

"""The `vitrine` command line: thin adapters that parse, call a service and print."""

from __future__ import annotations

import os
import socket
import sys
import webbrowser
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console

# Everything heavy (SQLAlchemy, pydantic settings, numpy, the engines) is imported inside the
# command that needs it, so `vitrine --help` and every command start in well under 0.5 s.
if TYPE_CHECKING:
    from vitrine.installation import Installation
    from vitrine.settings import Settings

app = typer.Typer(
    help="Vitrine: the showroom that sells through the shopper's phone.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
catalog_app = typer.Typer(help="Import and inspect the catalog.", no_args_is_help=True)
users_app = typer.Typer(help="Operator accounts.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
lockers_app = typer.Typer(
    help="Parcel lockers: sites, couriers, housekeeping.", no_args_is_help=True
)
locker_sites_app = typer.Typer(help="Locker sites.", no_args_is_help=True)
couriers_app = typer.Typer(help="Courier API tokens.", no_args_is_help=True)
notifications_app = typer.Typer(help="Messages to shoppers (email).", no_args_is_help=True)
app.add_typer(catalog_app, name="catalog")
app.add_typer(users_app, name="users")
app.add_typer(db_app, name="db")
search_app = typer.Typer(help="Visual product search.", no_args_is_help=True)
bench_app = typer.Typer(
    help="Benchmarks (not tests): they measure and print figures.", no_args_is_help=True
)
app.add_typer(search_app, name="search")
app.add_typer(bench_app, name="bench")
app.add_typer(lockers_app, name="lockers")
app.add_typer(notifications_app, name="notifications")
lockers_app.add_typer(locker_sites_app, name="sites")
lockers_app.add_typer(couriers_app, name="couriers")

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
_overrides: dict[str, object] = {}


def fail(message: str, code: int = 1) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


@app.callback()
def main(
    data_dir: Annotated[
        Path | None, typer.Option(help="Data directory (env VITRINE_DATA_DIR).")
    ] = None,
    database_url: Annotated[
        str | None, typer.Option(help="SQLAlchemy database URL (env VITRINE_DATABASE_URL).")
    ] = None,
) -> None:
    """Options here apply to every command and win over VITRINE_* variables."""
    _overrides.clear()
    if data_dir is not None:
        _overrides["data_dir"] = data_dir
    if database_url is not None:
        _overrides["database_url"] = database_url


def current_settings(**more: object) -> Settings:
    from pydantic import ValidationError

    from vitrine.settings import load_settings

    try:
        return load_settings(**{**_overrides, **more})
    except (ValidationError, FileNotFoundError) as error:
        fail(f"invalid settings: {error}")


@contextmanager
def opened(settings: Settings) -> Iterator[Installation]:
    from vitrine.db import DatabaseUnavailable
    from vitrine.installation import DataDirError, open_installation

    try:
        installation = open_installation(settings)
    except (DataDirError, DatabaseUnavailable) as error:
        fail(str(error))
    try:
        yield installation
    finally:
        installation.dispose()


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database schema to the latest version."""
    with opened(current_settings()) as installation:
        out.print(f"database at {installation.engine.url.render_as_string()} is up to date")


@catalog_app.command("import")
def catalog_import(
    file: Annotated[Path, typer.Argument(help="A .csv or .json catalog; image paths are local.")],
) -> None:
    """Import products; every bad row is named with its line and reason, good rows are kept."""
    from vitrine.catalog.importer import CatalogFileError, read_catalog_file
    from vitrine.catalog.service import import_catalog
    from vitrine.db import transaction

    settings = current_settings()
    try:
        parsed = read_catalog_file(file, default_currency=settings.currency)
    except CatalogFileError as error:
        fail(str(error))
    with opened(settings) as installation, transaction(installation.session_factory) as session:
        report = import_catalog(db_session=session, media=installation.media, parsed=parsed)
    out.print(f"created {len(report.created)} products, updated {len(report.updated)}")
    for problem in report.problems:
        err.print(f"[yellow]skipped[/] {problem}", highlight=False)
    if report.problems:
        fail(f"{len(report.problems)} rows were not imported (see above)", code=2)


@users_app.command("create")
def users_create(
    email: str,
    role: Annotated[str, typer.Option(help="admin or staff")] = "staff",
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)
    ] = "",
) -> None:
    """Create an operator account (the password is stored as an argon2 hash)."""
    from vitrine.accounts.service import AccountError, create_operator
    from vitrine.db import transaction

    with opened(current_settings()) as installation:
        try:
            with transaction(installation.session_factory) as session:
                create_operator(db_session=session, email=email, password=password, role=role)
        except AccountError as error:
            fail(str(error))
    out.print(f"operator {email} ({role}) created")


@app.command()
def report(
    showroom: Annotated[str, typer.Argument(help="The showroom's short name (slug).")],
    start: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD.")],
    end: Annotated[str, typer.Option("--to", help="Last day (included), YYYY-MM-DD.")],
    out_path: Annotated[Path, typer.Option("--out", help="Where to write the PDF.")] = Path(
        "report.pdf"
    ),
) -> None:
    """Write the market-test report of a showroom for a period as a PDF."""
    from datetime import UTC, date, datetime, time, timedelta

    from vitrine.analytics.report import market_test_pdf
    from vitrine.showrooms.service import get_showroom_by_slug
    from vitrine.web.market_test import market_test_of

    try:
        first, last = date.fromisoformat(start), date.fromisoformat(end)
    except ValueError as error:
        fail(f"dates must be YYYY-MM-DD: {error}")
    if first > last:
        fail("--from is after --to")
    period_start = datetime.combine(first, time(), UTC)
    period_end = datetime.combine(last + timedelta(days=1), time(), UTC)
    with opened(current_settings()) as installation, installation.session_factory() as session:
        found = get_showroom_by_slug(db_session=session, slug=showroom)
        if found is None:
            fail(f"no showroom {showroom!r}")
        figures = market_test_of(
            db_session=session, showroom=found, start=period_start, end=period_end
        )
        pdf = market_test_pdf(figures, found.name)
    try:
        out_path.write_bytes(pdf)
    except OSError as error:
        fail(f"cannot write {out_path}: {error.strerror}")
    out.print(f"report written to {out_path} ({len(pdf) // 1024} kB)")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, max=64, help="Server processes (env VITRINE_WORKERS).")
    ] = None,
) -> None:
    """Serve the installation: migrate and catch the search index up once, then start workers."""
    from vitrine.cli.search import open_search_engine

    overrides = _server_overrides(host, port)
    if workers is not None:
        overrides["workers"] = workers
    settings = current_settings(**overrides)
    if settings.environment == "production" and not settings.smtp_host:
        fail(
            "production without an email sender: shoppers would never get their pickup codes. "
            "Set VITRINE_SMTP_HOST and VITRINE_SMTP_FROM (check with `vitrine notifications "
            "test EMAIL`)."
        )
    with opened(settings) as installation:
        engine = open_search_engine(installation, progress=True)
        engine.save()  # the workers start from this saved generation
        out.print(f"visual search: {len(engine)} product pictures indexed")
        if settings.workers == 1:
            _run_server(installation, engine)
            return
    _run_workers(settings)


@app.command()
def demo(
    host: Annotated[str | None, typer.Option(help="Interface to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    no_browser: Annotated[
        bool, typer.Option("--no-browser", help="Do not open a browser.")
    ] = False,
    untaught: Annotated[
        bool,
        typer.Option(
            "--untaught",
            help="First start only: no in-store photos, the search knows the catalog images.",
        ),
    ] = False,
) -> None:
    """Create the data dir, migrate, load the demo catalog and serve the demo showroom."""
    from vitrine.db import transaction
    from vitrine.demo.loader import load_demo, load_demo_lockers

    settings = current_settings(**_server_overrides(host, port))
    with opened(settings) as installation:
        with transaction(installation.session_factory) as session:
            loaded = load_demo(
                db_session=session,
                media=installation.media,
                data_dir=settings.data_dir,
                currency=settings.currency,
                taught=not untaught,
            )
            showroom_path = f"/s/{loaded.showroom.slug}"
            if loaded.catalog_report is not None:
                out.print(f"demo catalog: {len(loaded.catalog_report.created)} products loaded")
        if load_demo_lockers(session_factory=installation.session_factory):
            out.print("demo parcel lockers opened around Les Halles")
        engine, refit = _demo_search_engine(installation)
        _print_demo_welcome(
            settings, showroom_path, loaded.operator_email, loaded.operator_password
        )
        if not no_browser:
            webbrowser.open(f"http://{_browser_host(settings.host)}:{settings.port}{showroom_path}")
        _run_server(installation, engine)
        if refit is not None and not refit.done():
            # Do not wait minutes for the preparation at Ctrl-C: the index on disk is whole (saved
            # aside, then renamed) and the next start resumes the preparation.
            out.print("stopped; the background search preparation resumes at the next start")
            os._exit(0)


def _demo_search_engine(installation: Installation) -> tuple[object, Future[bool] | None]:
    """The search engine, serving within seconds: slow preparation goes on after start-up."""
    from vitrine.catalog.service import all_product_images
    from vitrine.demo.warmup import index_now_adapt_later
    from vitrine.search.service import SearchEngine

    settings = installation.settings
    engine = SearchEngine(
        index_dir=settings.index_dir, media=installation.media, index_uri=settings.search_index_uri
    )
    with installation.session_factory() as session:
        rows = all_product_images(db_session=session)
    refit = index_now_adapt_later(engine, rows, progress=True)
    out.print(f"visual search: {len(engine)} product pictures indexed")
    if refit is not None:
        out.print(
            "training views and the search adapter are being prepared in the background "
            "(a few minutes on 2 cores); the search improves when they are ready"
        )
        refit.add_done_callback(
            lambda done: out.print(
                "visual search: adapter ready"
                if done.exception() is None
                else f"[red]search adapter preparation failed: {done.exception()}[/]"
            )
        )
    return engine, refit


def _server_overrides(host: str | None, port: int | None) -> dict[str, object]:
    overrides: dict[str, object] = {}
    if host is not None:
        overrides["host"] = host
    if port is not None:
        overrides["port"] = port
    return overrides


def _browser_host(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104 (compares, binds nothing)


def _lan_address() -> str | None:
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))  # TEST-NET address: no packet is sent for UDP connect
            return str(probe.getsockname()[0])
    except OSError:
        return None


def _print_demo_welcome(
    settings: Settings, showroom_path: str, email: str, password: str | None
) -> None:
    local = f"http://{_browser_host(settings.host)}:{settings.port}"
    out.print(f"\n[bold]Vitrine demo showroom[/] at {local}{showroom_path}")
    lan = _lan_address()
    if settings.host in ("0.0.0.0", "::") and lan:  # noqa: S104 (compares, binds nothing)
        out.print(
            f"On a phone on the same network, open http://{lan}:{settings.port}{showroom_path}"
        )
    else:
        out.print("To reach it from a phone on the same network, start with --host 0.0.0.0")
    login = password or f"(set when first created; see {settings.data_dir}/demo-operator-login.txt)"
    out.print(f"Operator login: {email} / {login}")
    if not settings.smtp_host:
        out.print(
            "No email sender (VITRINE_SMTP_HOST): messages are kept, shown at "
            f"{local}/operator/outbox and on each order page, never marked sent."
        )
    out.print(f"API docs: {local}/docs   Data: {settings.data_dir.resolve()}\n")


def _run_server(installation: Installation, engine: object = None) -> None:
    import uvicorn

    from vitrine.logs import logging_config
    from vitrine.web.app import create_app

    settings = installation.settings
    try:
        app = create_app(installation, search_engine=engine, serving=True)  # type: ignore[arg-type]
        # Live event streams never end by themselves: give them 5 s to close on Ctrl-C.
        uvicorn.run(
            app,
            host=settings.host,
            port=settings.port,
            timeout_graceful_shutdown=5,
            log_config=logging_config(settings),
        )
    except OSError as error:
        fail(f"cannot listen on {settings.host}:{settings.port}: {error.strerror}")


def _run_workers(settings: Settings) -> None:
    """Start `settings.workers` uvicorn worker processes on the app factory (vitrine.web.asgi)."""
    import os
    import shutil

    import uvicorn

    from vitrine.logs import logging_config

    # The workers read their settings from the environment: pass what the options decided.
    os.environ["VITRINE_DATA_DIR"] = str(settings.data_dir.resolve())
    os.environ["VITRINE_DATABASE_URL"] = settings.resolved_database_url
    metrics_dir = settings.data_dir.resolve() / "metrics"
    shutil.rmtree(metrics_dir, ignore_errors=True)  # counters of a previous run
    metrics_dir.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    try:
        uvicorn.run(
            "vitrine.web.asgi:serving_app",
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=settings.workers,
            timeout_graceful_shutdown=5,
            # The supervisor restarts a worker that misses its ping: on two busy cores a worker
            # in the middle of searches answers late, and a restart loses what it held.
            timeout_worker_healthcheck=60,
            log_config=logging_config(settings),
        )
    except OSError as error:
        fail(f"cannot listen on {settings.host}:{settings.port}: {error.strerror}")


# The capability command groups register themselves on the groups above.
from vitrine.cli import housekeeping as _housekeeping_commands  # noqa: E402, F401
from vitrine.cli import lockers as _lockers_commands  # noqa: E402, F401
from vitrine.cli import notifications as _notifications_commands  # noqa: E402, F401
from vitrine.cli import search as _search_commands  # noqa: E402, F401

if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())

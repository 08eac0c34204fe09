"""The `vitrine` command line: thin adapters that parse, call a service and print."""

from __future__ import annotations

import socket
import sys
import webbrowser
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console

from vitrine.accounts.service import AccountError, create_operator
from vitrine.catalog.importer import CatalogFileError, read_catalog_file
from vitrine.catalog.service import import_catalog
from vitrine.db import DatabaseUnavailable, transaction
from vitrine.installation import DataDirError, Installation, open_installation
from vitrine.settings import Settings, load_settings

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
    try:
        return load_settings(**{**_overrides, **more})
    except (ValidationError, FileNotFoundError) as error:
        fail(f"invalid settings: {error}")


@contextmanager
def opened(settings: Settings) -> Iterator[Installation]:
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
    with opened(current_settings()) as installation:
        try:
            with transaction(installation.session_factory) as session:
                create_operator(db_session=session, email=email, password=password, role=role)
        except AccountError as error:
            fail(str(error))
    out.print(f"operator {email} ({role}) created")


@locker_sites_app.command("import")
def locker_sites_import(
    file: Annotated[Path, typer.Argument(help="CSV: ref,name,address,latitude,longitude,...")],
) -> None:
    """Create or update locker sites and their compartments (one count column per size)."""
    from vitrine.lockers.service import import_sites
    from vitrine.lockers.site_file import SiteFileError, read_site_file

    settings = current_settings()
    try:
        parsed = read_site_file(file, list(settings.locker_sizes))
    except SiteFileError as error:
        fail(str(error))
    with opened(settings) as installation, installation.session_factory() as session:
        report = import_sites(db_session=session, rows=parsed.rows)
    out.print(f"created {len(report.created)} sites, updated {len(report.updated)}")
    for problem in [*parsed.problems, *report.problems]:
        err.print(f"[yellow]skipped[/] {problem}", highlight=False)
    if parsed.problems:
        fail(f"{len(parsed.problems)} rows were not imported (see above)", code=2)


@couriers_app.command("create")
def couriers_create(name: str) -> None:
    """Create a courier; its API token is printed once (only its hash is stored)."""
    from vitrine.lockers.service import create_courier

    with opened(current_settings()) as installation, installation.session_factory() as session:
        courier, token = create_courier(db_session=session, name=name)
    out.print(f"courier {courier.name} ({courier.id}); its token, shown only now:")
    out.print(token, highlight=False)


@couriers_app.command("revoke")
def couriers_revoke(courier_id: str) -> None:
    """Revoke a courier's token: its next request is refused."""
    from vitrine.lockers.errors import LockerError
    from vitrine.lockers.service import revoke_courier

    with opened(current_settings()) as installation, installation.session_factory() as session:
        try:
            revoke_courier(db_session=session, courier_id=courier_id)
        except LockerError as error:
            fail(str(error))
    out.print(f"courier {courier_id} revoked")


@lockers_app.command("plan")
def lockers_plan(
    candidates: Annotated[
        Path, typer.Option(help="CSV of candidate sites: lat, lon[, capacity, fixed_cost, id].")
    ],
    count: Annotated[int, typer.Option(help="How many sites in all (existing ones included).")],
    demand: Annotated[
        Path | None, typer.Option(help="CSV of demand points: lat, lon[, weight].")
    ] = None,
    demand_from_orders: Annotated[
        bool, typer.Option("--demand-from-orders", help="Use where past orders were delivered.")
    ] = False,
    objective: Annotated[
        str, typer.Option(help="coverage (within --radius) or distance (p-median).")
    ] = "coverage",
    radius: Annotated[float, typer.Option(min=10, help="Walking radius in metres.")] = 500.0,
    capacity: Annotated[bool, typer.Option("--capacity", help="Respect site capacities.")] = False,
    existing: Annotated[
        Path | None, typer.Option(help="CSV of sites already open: they are kept.")
    ] = None,
    out_dir: Annotated[
        Path, typer.Option("--out", help="Folder for sites.csv, .geojson and map.png.")
    ] = Path("locker-plan"),
) -> None:
    """Choose where to put parcel lockers: maximal covering or p-median, exact when affordable."""
    from vitrine.lockers.planning.commands import run_plan_command
    from vitrine.lockers.planning.inputs import PlanningInputError
    from vitrine.lockers.planning.planner import plan_summary

    if objective not in ("coverage", "distance"):
        fail("--objective must be coverage or distance")
    if (demand is None) == (not demand_from_orders):
        fail("give either --demand FILE or --demand-from-orders")
    if demand is None:
        demand = _demand_from_orders(out_dir)
    try:
        plan = run_plan_command(
            demand,
            candidates,
            count,
            objective,  # type: ignore[arg-type]
            radius,
            capacity,
            existing,
            out_dir,
        )
    except (PlanningInputError, OSError) as error:
        fail(str(error))
    for line in plan_summary(plan):
        out.print(line, highlight=False)
    for name, path in plan.files.items():
        out.print(f"{name}: {path}")


def _demand_from_orders(out_dir: Path) -> Path:
    from vitrine.orders.service import delivery_demand

    with opened(current_settings()) as installation, installation.session_factory() as session:
        points = delivery_demand(db_session=session)
    if not points:
        fail("no paid home-delivery order with a known postcode yet: give --demand FILE")
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "demand-from-orders.csv"
    path.write_text("lat,lon,weight\n" + "".join(f"{a},{b},{w}\n" for a, b, w in points))
    return path


@lockers_app.command("pmedian")
def lockers_pmedian(
    file: Annotated[Path, typer.Argument(help="An OR-Library p-median instance (pmedN.txt).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON line last.")] = False,
    seconds: Annotated[float, typer.Option(min=1, help="Time limit.")] = 600.0,
) -> None:
    """Solve an OR-Library p-median instance to proven optimality (benchmark of the planner)."""
    import json

    from vitrine.lockers.planning.commands import pmedian_lines, run_pmedian_command
    from vitrine.lockers.planning.inputs import PlanningInputError

    if not file.is_file():
        fail(f"{file} does not exist")
    try:
        result = run_pmedian_command(file, seconds=seconds)
    except (PlanningInputError, ValueError) as error:
        fail(f"{file}: {error}")
    for line in pmedian_lines(result):
        out.print(line, highlight=False)
    if as_json:
        objective = float(result["objective"])  # type: ignore[arg-type]
        whole = int(objective) if objective.is_integer() else objective
        print(
            json.dumps(
                {"instance": result["instance"], "objective": whole, "seconds": result["seconds"]}
            )
        )


@lockers_app.command("housekeeping")
def lockers_housekeeping() -> None:
    """Expire unpaid reservations, send reminders, return uncollected parcels, send the outbox."""
    from vitrine.lockers.flows import housekeeping
    from vitrine.lockers.policy import policy_from_settings
    from vitrine.notifications.senders import LogSender

    settings = current_settings()
    with opened(settings) as installation, installation.session_factory() as session:
        report = housekeeping(
            db_session=session, policy=policy_from_settings(settings), sender=LogSender()
        )
    out.print(
        f"{report.reservations_expired} reservations expired, {report.reminders} reminders, "
        f"{report.returned_to_sender} parcels returned to sender, "
        f"{report.messages_sent} messages sent"
    )


def _engine(installation: Installation, progress: bool = False):  # type: ignore[no-untyped-def]
    from vitrine.search.service import SearchEngine

    settings = installation.settings
    engine = SearchEngine(
        index_dir=settings.index_dir, media=installation.media, index_uri=settings.search_index_uri
    )
    with installation.session_factory() as session:
        engine.sync(db_session=session, progress=progress)
    return engine


@search_app.command("reindex")
def search_reindex(
    rebuild: Annotated[bool, typer.Option(help="Drop the saved index and rebuild it all.")] = False,
) -> None:
    """Catch the search index up with the catalog's pictures (with a progress bar)."""
    import shutil

    with opened(current_settings()) as installation:
        if rebuild:
            shutil.rmtree(installation.settings.index_dir, ignore_errors=True)
        engine = _engine(installation, progress=True)
        out.print(f"search index: {len(engine)} pictures")


@search_app.command("query")
def search_query(
    image: Annotated[Path, typer.Argument(help="A photo of a product.")],
    showroom: Annotated[
        str | None, typer.Option(help="Search what this showroom displays.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=20)] = 5,
) -> None:
    """Find the catalog product in a photo (or say it is not found)."""
    from vitrine.catalog.service import get_product
    from vitrine.search.images import ImageRejected
    from vitrine.showrooms.service import displayed_product_ids, get_showroom_by_slug

    if not image.is_file():
        fail(f"{image} does not exist")
    with opened(current_settings()) as installation, installation.session_factory() as session:
        scope = None
        if showroom:
            found = get_showroom_by_slug(db_session=session, slug=showroom)
            if found is None:
                fail(f"no showroom {showroom!r}")
            scope = displayed_product_ids(db_session=session, showroom=found)
        try:
            answer = _engine(installation).search(
                image.read_bytes(), showroom_product_ids=scope, limit=limit
            )
        except ImageRejected as rejected:
            fail(f"{image}: {rejected.message}")
        verdict = "NOT FOUND" if answer.not_found else "found"
        took = answer.timings_ms.get("total", 0)
        out.print(f"{verdict} (confidence {answer.confidence:.2f}, {took:.0f} ms)")
        for rank, match in enumerate(answer.results, start=1):
            product = get_product(db_session=session, product_id=match.product_id)
            name = product.name if product else match.product_id
            out.print(f"{rank}. {name} [{product.sku if product else ''}] score {match.score:.3f}")


@search_app.command("enroll")
def search_enroll(
    product: Annotated[str, typer.Argument(help="Product SKU (or id).")],
    images: Annotated[list[Path], typer.Argument(help="In-store photos of it.")],
    showroom: Annotated[
        str, typer.Option(help="The showroom where they were taken.")
    ] = "les-halles",
) -> None:
    """Add in-store photos of a displayed product; the next search uses them."""
    from vitrine.catalog.service import add_enrollment_photos, get_product, get_product_by_sku
    from vitrine.media import ImageRefused
    from vitrine.showrooms.service import displayed_product_ids, get_showroom_by_slug

    missing = [str(path) for path in images if not path.is_file()]
    if missing:
        fail(f"no such file: {', '.join(missing)}")
    with opened(current_settings()) as installation:
        engine = _engine(installation)
        with installation.session_factory() as session:
            found = get_product_by_sku(db_session=session, sku=product) or get_product(
                db_session=session, product_id=product
            )
            room = get_showroom_by_slug(db_session=session, slug=showroom)
            if found is None or room is None:
                fail(f"no product {product!r}" if found is None else f"no showroom {showroom!r}")
            if found.id not in displayed_product_ids(db_session=session, showroom=room):
                fail(f"{found.name} is not on display in {room.name}")
            try:
                rows = add_enrollment_photos(
                    db_session=session,
                    media=installation.media,
                    product_id=found.id,
                    showroom_id=room.id,
                    photos=[path.read_bytes() for path in images],
                )
            except ImageRefused as refused:
                fail(f"a photo was refused, none was added: {refused}")
            session.commit()
        engine.add(rows)
        engine.adapt()
        engine.save()
        out.print(f"{len(rows)} photos of {found.name} added; the search uses them now")


@bench_app.command("search")
def bench_search(
    dataset: Annotated[Path, typer.Option(help="A folder in the Grocery Store layout.")],
    split: Annotated[str, typer.Option(help="val or test")] = "val",
    shots: Annotated[
        int, typer.Option(min=0, help="In-store photos per product (from train).")
    ] = 0,
    holdout_products: Annotated[int, typer.Option(min=0)] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON line last.")] = False,
) -> None:
    """Measure the visual search on real photos: recall@1/5, open-set AUROC, latency."""
    from vitrine.search import bench

    argv = [
        "--dataset",
        str(dataset),
        "--split",
        split,
        "--shots",
        str(shots),
        "--holdout-products",
        str(holdout_products),
    ] + (["--json"] if as_json else [])
    bench.main(argv)


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
) -> None:
    """Serve the installation as it is (migrating the database first)."""
    settings = current_settings(**_server_overrides(host, port))
    with opened(settings) as installation:
        _run_server(installation)


@app.command()
def demo(
    host: Annotated[str | None, typer.Option(help="Interface to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    no_browser: Annotated[
        bool, typer.Option("--no-browser", help="Do not open a browser.")
    ] = False,
) -> None:
    """Create the data dir, migrate, load the demo catalog and serve the demo showroom."""
    from vitrine.demo.loader import load_demo, load_demo_lockers

    settings = current_settings(**_server_overrides(host, port))
    with opened(settings) as installation:
        with transaction(installation.session_factory) as session:
            loaded = load_demo(
                db_session=session,
                media=installation.media,
                data_dir=settings.data_dir,
                currency=settings.currency,
            )
            showroom_path = f"/s/{loaded.showroom.slug}"
            if loaded.catalog_report is not None:
                out.print(f"demo catalog: {len(loaded.catalog_report.created)} products loaded")
        if load_demo_lockers(session_factory=installation.session_factory):
            out.print("demo parcel lockers opened around Les Halles")
        engine = _engine(installation, progress=True)
        out.print(f"visual search: {len(engine)} product pictures indexed")
        _print_demo_welcome(
            settings, showroom_path, loaded.operator_email, loaded.operator_password
        )
        if not no_browser:
            webbrowser.open(f"http://{_browser_host(settings.host)}:{settings.port}{showroom_path}")
        _run_server(installation, engine)


def _server_overrides(host: str | None, port: int | None) -> dict[str, object]:
    overrides: dict[str, object] = {}
    if host is not None:
        overrides["host"] = host
    if port is not None:
        overrides["port"] = port
    return overrides


def _browser_host(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "::") else host


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
    if settings.host in ("0.0.0.0", "::") and lan:
        out.print(
            f"On a phone on the same network, open http://{lan}:{settings.port}{showroom_path}"
        )
    else:
        out.print("To reach it from a phone on the same network, start with --host 0.0.0.0")
    login = password or f"(set when first created; see {settings.data_dir}/demo-operator-login.txt)"
    out.print(f"Operator login: {email} / {login}")
    out.print(f"API docs: {local}/docs   Data: {settings.data_dir.resolve()}\n")


def _run_server(installation: Installation, engine: object = None) -> None:
    import uvicorn

    from vitrine.web.app import create_app

    settings = installation.settings
    try:
        app = create_app(installation, search_engine=engine)  # type: ignore[arg-type]
        # Live event streams never end by themselves: give them 5 s to close on Ctrl-C.
        uvicorn.run(app, host=settings.host, port=settings.port, timeout_graceful_shutdown=5)
    except OSError as error:
        fail(f"cannot listen on {settings.host}:{settings.port}: {error.strerror}")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())

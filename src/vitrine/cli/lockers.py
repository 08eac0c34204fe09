"""`vitrine lockers ...`: sites, couriers, site planning, housekeeping."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vitrine.cli import (
    couriers_app,
    current_settings,
    err,
    fail,
    locker_sites_app,
    lockers_app,
    opened,
    out,
)


@locker_sites_app.command("import")
def locker_sites_import(
    file: Annotated[Path, typer.Argument(help="CSV: ref,name,address,latitude,longitude,...")],
) -> None:
    """Create or update locker sites and their compartments (one count column per size)."""
    from vitrine.lockers.site_file import SiteFileError, read_site_file
    from vitrine.lockers.site_service import import_sites

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
    from vitrine.lockers.parcel_service import create_courier

    with opened(current_settings()) as installation, installation.session_factory() as session:
        courier, token = create_courier(db_session=session, name=name)
    out.print(f"courier {courier.name} ({courier.id}); its token, shown only now:")
    out.print(token, highlight=False)


@couriers_app.command("revoke")
def couriers_revoke(courier_id: str) -> None:
    """Revoke a courier's token: its next request is refused."""
    from vitrine.lockers.errors import LockerError
    from vitrine.lockers.parcel_service import revoke_courier

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
    seconds: Annotated[
        float | None,
        typer.Option(min=1, help="Time budget: 60% search, 40% proof or bound; best plan kept."),
    ] = None,
) -> None:
    """Choose where to put parcel lockers: maximal covering or p-median, exact when affordable."""
    from vitrine.lockers.planning.commands import run_plan_command
    from vitrine.lockers.planning.inputs import PlanningInputError
    from vitrine.lockers.planning.planner import PlanLimits, plan_summary

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
            None if seconds is None else PlanLimits.within(seconds),
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
    seconds: Annotated[
        float,
        typer.Option(min=1, help="Time limit: then the best solution and bound are reported."),
    ] = 600.0,
) -> None:
    """Solve an OR-Library p-median instance: objective, lower bound, gap, proven or not."""
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
        keys = ("instance", "objective", "lower_bound", "gap", "proven", "seconds")
        print(json.dumps({key: result[key] for key in keys}))

"""Load benchmark of `vitrine serve` on 127.0.0.1 with a real HTTP client (httpx + asyncio).

    python benchmarks/load/run.py shopper --clients 16                    # SQLite, 1 worker
    python benchmarks/load/run.py shopper --clients 64 --postgres --workers 2 --small-catalog
    python benchmarks/load/run.py search --clients 8 --clients 32         # photos: ../shared
    python benchmarks/load/run.py uploads --clients 8                     # 49 MP PNGs
    python benchmarks/load/run.py smoke                                   # ~30 s, what CI runs

Scenarios (each prints the hardware, the load average before and after, and its figures):
  shopper  landing, product, add to cart, checkout page, pay (4242...), tracking; N clients;
           errors, p50/p95/p99 per request, flows/s, analytics events stored vs expected.
  search   shopper photo page with real photos (grocery val); the server's CPU-seconds per
           search on one client, then C clients: throughput against cores / CPU-s per search,
           p50/p95/p99, 503s and their latency, /healthz latency sampled meanwhile.
  uploads  C concurrent 7000x7000 RGBA PNGs: peak RSS per server worker, RSS afterwards.
Bounded: every phase has a request count and a deadline. Run it under `nice -n 10`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from benchmarks.load import scenarios
from benchmarks.load.server import (
    DEMO_SLUG,
    SMOKE_SLUG,
    Server,
    cached_demo,
    deepen_stock,
    photo_png,
    postgres_database,
    prepare_demo,
    prepare_smoke,
)
from benchmarks.lockers.hardware import hardware_line

SHARED_VAL = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "grocery"
CACHE = Path(tempfile.gettempdir()) / "vitrine-load-cache"


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def say(line: str) -> None:
    print(line, flush=True)


def grocery_photos(count: int, seed: int = 7) -> list[bytes]:
    listing = SHARED_VAL / "val.txt"
    if not listing.is_file():
        raise SystemExit(f"no photos at {listing}: use --generated-photos")
    paths = [line.split(",")[0].strip() for line in listing.read_text().splitlines() if line]
    random.Random(seed).shuffle(paths)
    return [(SHARED_VAL / path).read_bytes() for path in paths[:count]]


@contextmanager
def installed(args: argparse.Namespace, work: Path) -> Iterator[Server]:
    """A prepared data dir (and database) and a started server; everything removed after."""
    database = postgres_database() if args.postgres else nullcontext("")
    with database as database_url:
        data_dir = work / "data"
        log = work / "server.log"
        if args.smoke_catalog:
            prepare_smoke(data_dir, database_url)
        elif database_url:
            prepare_demo(data_dir, database_url, log)
            deepen_stock(data_dir, database_url)
        else:
            cached_demo(CACHE / args.cache_key, data_dir, log)
            deepen_stock(data_dir, database_url)
        server = Server(data_dir, database_url, args.workers, log)
        try:
            server.start()
            yield server
        finally:
            server.stop()
            if args.keep_log:
                shutil.copy(log, args.keep_log)


def _database_url(server: Server) -> str:
    return server.database_url or f"sqlite:///{(server.data_dir / 'vitrine.db').resolve()}"


def shopper(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    with installed(args, work) as server:
        figures, run = shopper_on(server, args)
        server.stop()  # a clean stop stores the queued events; the database is still there
        return figures | events_of(server, run)


def shopper_on(server: Server, args: argparse.Namespace) -> tuple[dict[str, Any], Any]:
    slug = SMOKE_SLUG if args.smoke_catalog else DEMO_SLUG
    catalog = asyncio.run(scenarios.read_catalog(server.url, slug))
    clients = args.clients[0]
    say(
        f"shopper flow: {clients} clients, up to {args.flows} flows or {args.seconds:.0f} s, "
        f"{'PostgreSQL' if args.postgres else 'SQLite'}, {args.workers} worker(s), "
        f"think time {args.think_seconds:g} s"
    )
    run = asyncio.run(
        scenarios.shopper_flows(
            server.url, catalog, clients, args.flows, args.seconds, args.think_seconds
        )
    )
    say(f"  load average during: {load_average()}")
    for line in run.timings.table():
        say(line)
    errors = sum(run.timings.errors.values())
    say(
        f"  flows: {run.completed}/{run.flows} completed in {run.seconds:.1f} s = "
        f"{run.completed / run.seconds:.2f} flows/s; errors: {errors} {dict(run.timings.errors)}"
    )
    figures = {
        "errors": errors,
        "completed": run.completed,
        "flows_per_second": run.completed / run.seconds,
        "p95": {k: scenarios.percentile(v, 0.95) for k, v in run.timings.seconds.items()},
    }
    return figures, run


def events_of(server: Server, run: Any) -> dict[str, Any]:
    """Analytics events stored vs expected, read after the server stopped cleanly."""
    stored = scenarios.stored_events(_database_url(server))
    lost = {k: max(run.expected_events[k] - stored[k], 0) for k in run.expected_events}
    shopper_kinds = sum(stored[k] for k in run.expected_events)
    say(
        f"  analytics events stored {shopper_kinds} / expected "
        f"{sum(run.expected_events.values())}; lost by kind: {lost}"
    )
    return {
        "events_expected": sum(run.expected_events.values()),
        "events_stored": shopper_kinds,
        "events_lost": sum(lost.values()),
    }


def search(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    with installed(args, work) as server:
        return search_on(server, args)


def search_on(server: Server, args: argparse.Namespace) -> dict[str, Any]:
    slug = SMOKE_SLUG if args.smoke_catalog else DEMO_SLUG
    photos = (
        [photo_png(colour=(200, 40, 40)), photo_png(colour=(40, 160, 60))]
        if args.generated_photos
        else grocery_photos(args.photos)
    )
    results: dict[str, Any] = {}
    cores = len(os.sched_getaffinity(0))
    cpu = asyncio.run(scenarios.cpu_per_search(server, slug, photos, args.lone_searches))
    ceiling = cores / cpu
    say(
        f"photo search: {len(photos)} photos; one client: {cpu:.3f} CPU-s per search on the "
        f"server -> ceiling {ceiling:.2f} searches/s on {cores} cores "
        f"(load average {load_average()})"
    )
    for clients in args.clients:
        run = asyncio.run(
            scenarios.photo_searches(server.url, slug, photos, clients, args.searches, args.seconds)
        )
        values = run.timings.seconds["photo_search"]
        answered = [v for v in values if v not in run.shed_seconds]
        rate = run.answered / run.seconds
        errors = sum(run.timings.errors.values())
        health = run.healthz
        say(
            f"  {clients:>3} clients: {run.answered} answered, {run.shed} shed (503) in "
            f"{run.seconds:.1f} s = {rate:.2f} searches/s = {rate / ceiling:.0%} of the "
            f"ceiling; errors {errors} {dict(run.timings.errors)}"
        )
        say(
            f"      answered p50/p95/p99/max {scenarios.percentile(answered, 0.5):.2f} / "
            f"{scenarios.percentile(answered, 0.95):.2f} / "
            f"{scenarios.percentile(answered, 0.99):.2f} / {max(answered, default=0):.2f} s; "
            f"503 p50/max {scenarios.percentile(run.shed_seconds, 0.5):.3f} / "
            f"{max(run.shed_seconds, default=0):.3f} s"
        )
        say(
            f"      /healthz meanwhile, from the crowd's own loop ({len(health)} samples): p50 "
            f"{scenarios.percentile(health, 0.5) * 1000:.0f} ms, p95 "
            f"{scenarios.percentile(health, 0.95) * 1000:.0f} ms, max "
            f"{max(health, default=0) * 1000:.0f} ms; load average {load_average()}"
        )
        probe, probe_shed = run.probe_healthz, run.probe_shed
        say(
            f"      from a prober process of its own: /healthz ({len(probe)} samples) p50 "
            f"{scenarios.percentile(probe, 0.5) * 1000:.0f} ms, p95 "
            f"{scenarios.percentile(probe, 0.95) * 1000:.0f} ms, max "
            f"{max(probe, default=0) * 1000:.0f} ms; its 503s ({len(probe_shed)}) p50 "
            f"{scenarios.percentile(probe_shed, 0.5) * 1000:.0f} ms, p95 "
            f"{scenarios.percentile(probe_shed, 0.95) * 1000:.0f} ms, max "
            f"{max(probe_shed, default=0) * 1000:.0f} ms"
        )
        results[str(clients)] = {
            "answered": run.answered,
            "shed": run.shed,
            "errors": errors,
            "share_of_ceiling": rate / ceiling,
            "p95": scenarios.percentile(answered, 0.95),
            "healthz_max": max(health, default=0),
            "probe_healthz_p95": scenarios.percentile(probe, 0.95),
            "probe_shed_p50": scenarios.percentile(probe_shed, 0.5),
            "probe_shed_p95": scenarios.percentile(probe_shed, 0.95),
        }
    results["cpu_per_search"] = cpu
    return results


def uploads(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    with installed(args, work) as server:
        return uploads_on(server, args)


def uploads_on(server: Server, args: argparse.Namespace) -> dict[str, Any]:
    slug = SMOKE_SLUG if args.smoke_catalog else DEMO_SLUG
    png = scenarios.huge_png(args.side)
    clients = args.clients[0]
    photo = photo_png()
    asyncio.run(scenarios.cpu_per_search(server, slug, [photo], 1))  # engine loaded, warm
    run = asyncio.run(scenarios.huge_uploads(server, slug, png, clients))
    say(
        f"uploads: {clients} x {args.side}x{args.side} RGBA PNG ({len(png) / 1024:.0f} KB) at "
        f"once, answered {dict(run.statuses)} in {run.seconds:.1f} s "
        f"(load average {load_average()})"
    )
    mb = 2**20
    for pid, base in run.baseline.items():
        say(
            f"  worker {pid}: baseline {base / mb:.0f} MB, peak {run.peak.get(pid, 0) / mb:.0f} "
            f"MB, afterwards {run.after.get(pid, 0) / mb:.0f} MB "
            f"({run.after.get(pid, 0) / max(base, 1) - 1:+.0%})"
        )
    return {
        "statuses": dict(run.statuses),
        "peak_mb": max(run.peak.values(), default=0) / mb,
        "after_vs_baseline": max(
            (run.after.get(pid, 0) / max(base, 1) for pid, base in run.baseline.items()),
            default=0,
        ),
    }


def smoke(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """Tiny counts of each scenario on one server: SQLite, 1 worker, generated photos."""
    args.smoke_catalog = args.generated_photos = True
    args.workers, args.postgres = 1, False
    args.flows, args.searches, args.lone_searches, args.seconds = 8, 6, 2, 20
    args.side, args.clients = 2000, [4]
    with installed(args, work / "shopper") as server:
        results, run = shopper_on(server, args)
        args.clients = [2]
        results["search"] = search_on(server, args)
        results["uploads"] = uploads_on(server, args)
        server.stop()
        return results | events_of(server, run)


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", choices=["shopper", "search", "uploads", "smoke"])
    parser.add_argument("--clients", type=int, action="append", help="repeat for several runs")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--postgres", action="store_true", help="a fresh PostgreSQL database")
    parser.add_argument("--flows", type=int, default=400, help="shopper flows at most")
    parser.add_argument("--searches", type=int, default=200, help="searches per client count")
    parser.add_argument("--lone-searches", type=int, default=10, help="for CPU-s per search")
    parser.add_argument("--photos", type=int, default=60, help="grocery val photos used")
    parser.add_argument("--generated-photos", action="store_true", help="not ../shared")
    parser.add_argument("--side", type=int, default=7000, help="upload PNG side (pixels)")
    parser.add_argument("--seconds", type=float, default=120, help="deadline of a phase")
    parser.add_argument(
        "--think-seconds",
        type=float,
        default=0.0,
        help="shopper flow: mean time on a page between steps (0: closed loop)",
    )
    parser.add_argument("--cache-key", default="current", help="SQLite demo cache per code")
    parser.add_argument("--keep-log", type=Path, help="copy the server log there")
    parser.add_argument(
        "--small-catalog",
        action="store_true",
        help="two generated products instead of the demo (prepares in seconds, not minutes)",
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON, last")
    args = parser.parse_args(argv)
    args.clients = args.clients or [16]
    args.smoke_catalog = args.small_catalog
    if not 1 <= args.workers <= 8 or any(not 1 <= c <= 256 for c in args.clients):
        parser.error("workers 1..8, clients 1..256")
    if args.flows > 5000 or args.searches > 2000 or args.seconds > 900:
        parser.error("bounded: flows <= 5000, searches <= 2000, seconds <= 900")
    return args


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = _arguments(argv)
    say(f"hardware: {hardware_line()}; load average {load_average()}")
    with tempfile.TemporaryDirectory(prefix="vitrine-load-") as temporary:
        work = Path(temporary)
        for part in ("shopper", "search", "uploads"):
            (work / part).mkdir()
        scenario = {"shopper": shopper, "search": search, "uploads": uploads, "smoke": smoke}
        target = work if args.scenario == "smoke" else work / args.scenario
        results = scenario[args.scenario](args, target)
    say(f"load average at the end: {load_average()}")
    if args.json:
        print(json.dumps(results))
    return results


if __name__ == "__main__":
    main()

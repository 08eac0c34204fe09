"""Load test of the live event stream: N viewers on ONE server process, a host pins, we time it.

    python benchmarks/live/load.py --viewers 1000 --rounds 5

Starts Vitrine in a child process (uvicorn, one process, 127.0.0.1 only, SQLite in a temporary
data dir, the in-process hub, or Redis with --redis redis://127.0.0.1:6379/15), opens N
server-sent-event connections from this process with plain asyncio sockets, pins a product
through the API as an operator, and reports how long the pin took to reach the viewers (from
the host's request to each viewer's socket) and the server's resident memory. Bounded: at most
5,000 viewers, 20 rounds, 10 minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from benchmarks.live.viewers import measure_pins
from benchmarks.lockers.hardware import hardware_line

OPERATOR = ("host@vitrine.local", "load-test-password-1")


def seed_and_serve(data_dir: Path, port: int) -> None:
    """The child process: a showroom, two products, an operator, a live session on air."""
    import uvicorn

    from vitrine.accounts.service import create_operator
    from vitrine.catalog.models import Product, Variant
    from vitrine.installation import open_installation
    from vitrine.live import service as live
    from vitrine.settings import Settings
    from vitrine.showrooms.service import create_showroom
    from vitrine.web.app import create_app

    installation = open_installation(Settings(environment="test", data_dir=data_dir))
    with installation.session_factory() as session, session.begin():
        products = []
        for sku in ("JACKET", "CAP"):
            product = Product(sku=sku, name=f"Product {sku}")
            product.variants.append(
                Variant(sku=f"{sku}-1", label="one", price_minor=1990, currency="EUR")
            )
            session.add(product)
            products.append(product)
        showroom = create_showroom(db_session=session, slug="load", name="Load", currency="EUR")
        create_operator(db_session=session, email=OPERATOR[0], password=OPERATOR[1], role="staff")
        on_air = live.create_session(
            db_session=session, showroom_id=showroom.id, title="Load test",
            scheduled_at=datetime.now(UTC), playback_url="",
        )  # fmt: skip
        live.start_session(db_session=session, live=on_air)
        session.flush()
        ready = {"session_id": on_air.id, "products": [p.id for p in products]}
    (data_dir / "ready.json").write_text(json.dumps(ready))
    uvicorn.run(
        create_app(installation), host="127.0.0.1", port=port, log_level="warning",
        timeout_graceful_shutdown=3,  # open event streams never end by themselves
    )  # fmt: skip


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _rss_mib(pid: int, field: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _wait_ready(data_dir: Path, base: str, child: subprocess.Popen[bytes]) -> dict[str, object]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise RuntimeError("the server exited")
        ready = data_dir / "ready.json"
        if ready.exists():
            try:
                httpx.get(base + "/live", timeout=2)
                return dict(json.loads(ready.read_text()))
            except httpx.HTTPError:
                pass
        time.sleep(0.2)
    raise RuntimeError("the server did not start")


def _operator_client(base: str) -> httpx.AsyncClient:
    with httpx.Client(base_url=base) as client:
        page = client.get("/operator/login").text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert csrf is not None
        form = {"email": OPERATOR[0], "password": OPERATOR[1], "csrf_token": csrf.group(1)}
        client.post("/operator/login", data=form)
        console = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/operator").text)
        assert console is not None  # the session's token: JSON calls send it as a header
        headers = {"X-CSRF-Token": console.group(1)}
        return httpx.AsyncClient(base_url=base, cookies=client.cookies, headers=headers, timeout=10)


async def run(
    base: str, ready: dict[str, object], args: argparse.Namespace, pid: int
) -> dict[str, object]:
    session_id, products = str(ready["session_id"]), list(ready["products"])  # type: ignore[arg-type]
    host = _operator_client(base)
    memory = {"idle_mib": _rss_mib(pid)}
    answered: list[float] = []

    async def pin(number: int) -> None:
        response = await host.post(
            f"/api/v1/live/{session_id}/pins", json={"product_id": products[number % 2]}
        )
        response.raise_for_status()
        answered.append(response.elapsed.total_seconds())

    def connected() -> None:
        memory["connected_mib"] = _rss_mib(pid)

    count, rounds = await measure_pins(
        events_url=f"{base}/live/{session_id}/events?after=1",
        viewers=args.viewers, rounds=args.rounds, pin=pin, on_connected=connected,
    )  # fmt: skip
    await host.aclose()
    memory["peak_mib"] = _rss_mib(pid, "VmHWM")
    return {
        "viewers": args.viewers,
        "connected": count,
        "rounds": [
            {
                "reached": len(r.latencies),
                "within_1s": round(r.share_within(1.0), 4),
                "p50_ms": round(r.percentile(0.50) * 1000, 1),
                "p99_ms": round(r.percentile(0.99) * 1000, 1),
                "max_ms": round(max(r.latencies or [float("inf")]) * 1000, 1),
                "pin_request_ms": round(seconds * 1000, 1),
            }
            for r, seconds in zip(rounds, answered, strict=False)
        ],
        "memory": {k: round(v, 1) for k, v in memory.items()},
        "hub": f"redis {args.redis}" if args.redis else "in-process",
        "hardware": hardware_line(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--viewers", type=int, default=1000, choices=range(1, 5001), metavar="N")
    parser.add_argument("--rounds", type=int, default=5, choices=range(1, 21), metavar="R")
    parser.add_argument("--redis", default="", help="fan out through this Redis URL")
    parser.add_argument("--serve", nargs=2, metavar=("DATA_DIR", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        seed_and_serve(Path(args.serve[0]), int(args.serve[1]))
        return
    with tempfile.TemporaryDirectory() as tmp:
        port = _free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("VITRINE_")}
        env["VITRINE_REDIS_URL"] = args.redis
        child = subprocess.Popen([sys.executable, __file__, "--serve", tmp, str(port)], env=env)
        try:
            base = f"http://127.0.0.1:{port}"
            ready = _wait_ready(Path(tmp), base, child)
            result = asyncio.run(asyncio.wait_for(run(base, ready, args, child.pid), 600))
        finally:
            child.terminate()
            child.wait(timeout=20)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

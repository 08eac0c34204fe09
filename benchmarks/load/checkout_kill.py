"""Fault benchmark: kill -9 the server during a burst of checkouts, restart, run housekeeping.

    nice -n 10 python benchmarks/load/checkout_kill.py [--clients 30] [--kill-after 0.8]

Creates a PostgreSQL database (dropped at the end) and a temporary data dir, seeds two products
with stock, starts `vitrine serve` on 127.0.0.1, fires N concurrent `POST /api/v1/checkout`
with httpx (one cart and idempotency key each), SIGKILLs the server's process group after
--kill-after seconds, restarts it, runs `vitrine housekeeping` with
VITRINE_CHECKOUT_RECOVERY_MINUTES=0, retries every idempotency key, and prints: orders by state
(before and after housekeeping), reserved stock against the live orders' lines, captured charges
at the gateway without a paid order, charges made by the retries, and the hardware and load
average. Bounded: at most 200 clients, each step under a timeout, about a minute in all.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx
from sqlalchemy import create_engine, func, select, text

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from benchmarks.lockers.hardware import hardware_line

ADMIN_URL = os.environ.get(
    "VITRINE_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
CARD = {"number": "4242 4242 4242 4242", "expiry_month": 12, "expiry_year": 2099, "cvc": "123"}
DETAILS = {
    "email": "lea@example.fr",
    "delivery_method": "home",
    "recipient_name": "Léa Martin",
    "address_line": "12 rue Rambuteau",
    "postcode": "75003",
    "city": "Paris",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def seed(env: dict[str, str]) -> list[str]:
    """Two products, 100 units each; returns their variant ids."""
    from vitrine.catalog import stock_service as stock
    from vitrine.catalog.models import Product, Variant
    from vitrine.installation import open_installation
    from vitrine.settings import Settings

    settings = Settings(
        data_dir=Path(env["VITRINE_DATA_DIR"]), database_url=env["VITRINE_DATABASE_URL"]
    )
    installation = open_installation(settings)
    variants = []
    with installation.session_factory() as session, session.begin():
        for sku in ("TEE", "CAP"):
            product = Product(sku=sku, name=f"Product {sku}")
            product.variants.append(
                Variant(sku=f"{sku}-1", label="one", price_minor=1990, currency="EUR")
            )
            session.add(product)
            session.flush()
            variant_id = product.variants[0].id
            stock.set_stock(
                db_session=session, variant_id=variant_id, warehouse_code="WH", on_hand=100
            )
            variants.append(variant_id)
    installation.dispose()
    return variants


def start_server(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as sink:
        return subprocess.Popen(
            [sys.executable, "-m", "vitrine", "serve"],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: kill -9 reaches every worker
        )


def wait_ready(base: str, seconds: float = 90) -> float:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return time.monotonic() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"the server did not answer /healthz within {seconds:.0f} s")


def kill_group(server: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
    try:
        os.killpg(server.pid, sig)
    except ProcessLookupError:
        return
    server.wait(timeout=30)


def make_carts(base: str, variants: list[str], count: int) -> list[str]:
    carts = []
    with httpx.Client(base_url=base, timeout=30) as client:
        for number in range(count):
            cart = client.post("/api/v1/carts").json()["id"]
            variant = variants[number % len(variants)]
            client.put(
                f"/api/v1/carts/{cart}/items/{variant}", json={"quantity": 1}
            ).raise_for_status()
            carts.append(cart)
    return carts


async def burst(
    base: str, bodies: list[dict[str, object]], kill_at: float, server: subprocess.Popen[bytes]
) -> Counter[str]:
    """All checkouts at once; the server is killed `kill_at` seconds after they start."""
    answers: Counter[str] = Counter()

    async def one(client: httpx.AsyncClient, body: dict[str, object]) -> None:
        try:
            response = await client.post("/api/v1/checkout", json=body)
            answers[f"HTTP {response.status_code} {response.json().get('state', '')}"] += 1
        except httpx.HTTPError as error:
            answers[f"no answer ({type(error).__name__})"] += 1

    async def killer() -> None:
        await asyncio.sleep(kill_at)
        kill_group(server)

    limits = httpx.Limits(max_connections=len(bodies))
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:
        await asyncio.gather(killer(), *(one(client, body) for body in bodies))
    return answers


def shop_state(database_url: str, ledger: Path) -> dict[str, object]:
    from vitrine.catalog.models import StockLevel
    from vitrine.orders.models import Order, OrderLine, Payment
    from vitrine.orders.sandbox_gateway import SandboxGateway

    engine = create_engine(database_url)
    with engine.connect() as connection:
        states = dict(
            connection.execute(select(Order.state, func.count()).group_by(Order.state)).all()
        )
        reserved = connection.scalar(select(func.coalesce(func.sum(StockLevel.reserved), 0)))
        live = connection.scalar(
            select(func.coalesce(func.sum(OrderLine.quantity), 0))
            .join(Order, Order.id == OrderLine.order_id)
            .where(Order.state.notin_(("cancelled", "refunded")))
        )
        paid_references = set(
            connection.scalars(
                select(Payment.gateway_reference)
                .join(Order, Order.id == Payment.order_id)
                .where(Payment.status == "captured", Order.state == "paid")
            )
        )
        pending = connection.scalar(select(func.count()).where(Payment.status == "pending"))
    engine.dispose()
    gateway = SandboxGateway(ledger)
    captured = gateway.captured_references()
    return {
        "orders by state": dict(sorted(states.items())),
        "reserved stock": int(reserved or 0),
        "live reservations (units in unpaid-or-paid orders)": int(live or 0),
        "pending payment attempts": int(pending or 0),
        "charges captured at the gateway": gateway.charges_captured,
        "captured charges without a paid order": len(captured - paid_references),
    }


def retry_all(base: str, bodies: list[dict[str, object]]) -> Counter[str]:
    answers: Counter[str] = Counter()
    with httpx.Client(base_url=base, timeout=30) as client:
        for body in bodies:
            response = client.post("/api/v1/checkout", json=body)
            read = response.json()
            state, replayed = read.get("state", ""), read.get("replayed")
            answers[f"HTTP {response.status_code} {state} replayed={replayed}"] += 1
    return answers


def print_state(title: str, state: dict[str, object]) -> None:
    print(f"\n{title}")
    for name, value in state.items():
        print(f"  {name}: {value}")


def run(clients: int, kill_after: float, work: Path, database_url: str) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "VITRINE_DATA_DIR": str(work / "data"),
        "VITRINE_DATABASE_URL": database_url,
        "VITRINE_HOST": "127.0.0.1",
        "VITRINE_PORT": str(port),
        "VITRINE_ENVIRONMENT": "test",
    }
    ledger = work / "data" / "sandbox-gateway.sqlite3"
    log = work / "server.log"
    variants = seed(env)
    server = start_server(env, log)
    try:
        print(f"server ready in {wait_ready(base):.1f} s")
        carts = make_carts(base, variants, clients)
        bodies = [
            {
                "cart_id": cart,
                "idempotency_key": secrets.token_urlsafe(24),
                "details": DETAILS,
                "card": CARD,
            }
            for cart in carts
        ]
        answers = asyncio.run(burst(base, bodies, kill_after, server))
        print(f"\n{clients} concurrent checkouts, kill -9 after {kill_after} s: {dict(answers)}")
        print_state("after the kill, before housekeeping", shop_state(database_url, ledger))
        server = start_server(env, log)
        print(f"\nrestarted, ready in {wait_ready(base):.1f} s")
        housekeeping = subprocess.run(
            [sys.executable, "-m", "vitrine", "housekeeping"],
            env={**env, "VITRINE_CHECKOUT_RECOVERY_MINUTES": "0"},
            capture_output=True,
            text=True,
            timeout=120,
        )
        print("vitrine housekeeping (stale age 0):", housekeeping.stdout.strip())
        if housekeeping.returncode:
            print(f"  exit {housekeeping.returncode}: {housekeeping.stderr.strip()[-300:]}")
        after = shop_state(database_url, ledger)
        print_state("after housekeeping", after)
        retried = retry_all(base, bodies)
        print(f"\nretry of every idempotency key: {dict(retried)}")
        again = shop_state(database_url, ledger)
        key = "charges captured at the gateway"
        charged = int(str(again[key])) - int(str(after[key]))
        fresh = sum(n for answer, n in retried.items() if "replayed=False" in answer)
        print(
            f"charges made by the retries: {charged}; retries that created a new order (their "
            f"first request died before storing it): {fresh}"
        )
    finally:
        kill_group(server, signal.SIGTERM)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=30)
    parser.add_argument("--kill-after", type=float, default=0.8)
    args = parser.parse_args()
    if not 1 <= args.clients <= 200:
        parser.error("--clients must be between 1 and 200")
    if not 0 < args.kill_after <= 30:
        parser.error("--kill-after must be in (0, 30] seconds")
    print(hardware_line())
    print(f"cpu count {os.cpu_count()}, load average {os.getloadavg()}")
    name = f"vitrine_bench_kill_{uuid.uuid4().hex[:10]}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    database_url = admin.url.set(database=name).render_as_string(hide_password=False)
    started = time.monotonic()
    try:
        with tempfile.TemporaryDirectory(prefix="vitrine-kill-") as work:
            run(args.clients, args.kill_after, Path(work), database_url)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    print(f"\nwhole run {time.monotonic() - started:.0f} s, load average after {os.getloadavg()}")


if __name__ == "__main__":
    main()

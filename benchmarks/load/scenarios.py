"""The client side of the load benchmark: shoppers, photo searches, huge uploads, /healthz."""

from __future__ import annotations

import asyncio
import io
import json
import random
import re
import shutil
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from benchmarks.load.server import Server

CARD = {
    "email": "load@example.fr",
    "phone": "",
    "delivery_method": "home",
    "recipient_name": "Load Test",
    "address_line": "12 rue Rambuteau",
    "postcode": "75003",
    "city": "Paris",
    "card_number": "4242 4242 4242 4242",
    "expiry": "12/30",
    "cvc": "123",
}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
IDEMPOTENCY = re.compile(r'name="idempotency_key" value="([^"]+)"')
TIMEOUT = httpx.Timeout(120.0)


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


@dataclass
class Timings:
    """Latencies (seconds) per request kind, and what went wrong."""

    seconds: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter[str] = field(default_factory=Counter)
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)

    async def timed(
        self, kind: str, call: Awaitable[httpx.Response], expected: tuple[int, ...]
    ) -> httpx.Response | None:
        started = time.perf_counter()
        try:
            response = await call
        except httpx.HTTPError as error:
            self.errors[f"{kind}: {type(error).__name__}"] += 1
            return None
        self.seconds[kind].append(time.perf_counter() - started)
        self.statuses[(kind, response.status_code)] += 1
        if response.status_code not in expected:
            self.errors[f"{kind}: HTTP {response.status_code}"] += 1
            return None
        return response

    def table(self) -> list[str]:
        lines = [f"  {'request':<16}{'count':>7}{'p50 s':>9}{'p95 s':>9}{'p99 s':>9}{'max s':>9}"]
        for kind, values in self.seconds.items():
            lines.append(
                f"  {kind:<16}{len(values):>7}{percentile(values, 0.5):>9.3f}"
                f"{percentile(values, 0.95):>9.3f}{percentile(values, 0.99):>9.3f}"
                f"{max(values):>9.3f}"
            )
        return lines


@dataclass
class Catalog:
    slug: str
    products: list[tuple[str, str]]  # (product id, variant id)


async def read_catalog(base: str, slug: str) -> Catalog:
    async with httpx.AsyncClient(base_url=base, timeout=TIMEOUT) as client:
        listed = (await client.get("/api/v1/products", params={"limit": 500})).json()["items"]
    products = [(p["id"], p["variants"][0]["id"]) for p in listed if p["variants"]]
    if not products:
        raise RuntimeError("the catalog has no product with a variant")
    return Catalog(slug, products)


async def _shop_once(
    client: httpx.AsyncClient, catalog: Catalog, timings: Timings, think_seconds: float = 0.0
) -> bool:
    """landing -> product -> add to cart -> checkout page -> pay (4242...) -> tracking.

    ``think_seconds``: the mean time a person spends on a page before the next step (uniform
    between half and one and a half times it; not counted in any request's time). 0 is a
    closed loop: every client asks again the moment it is answered.
    """

    async def think() -> None:
        if think_seconds > 0:
            await asyncio.sleep(random.uniform(0.5, 1.5) * think_seconds)

    client.cookies.clear()
    product_id, variant_id = random.choice(catalog.products)
    if await timings.timed("landing", client.get(f"/s/{catalog.slug}"), (200,)) is None:
        return False
    await think()
    page = await timings.timed("product", client.get(f"/products/{product_id}"), (200,))
    token = CSRF.search(page.text) if page is not None else None
    if token is None:
        return False
    await think()
    form = {"variant_id": variant_id, "quantity": "1", "csrf_token": token.group(1)}
    if await timings.timed("add_to_cart", client.post("/cart/lines", data=form), (303,)) is None:
        return False
    await think()
    checkout = await timings.timed("checkout_page", client.get("/checkout"), (200,))
    key = IDEMPOTENCY.search(checkout.text) if checkout is not None else None
    token = CSRF.search(checkout.text) if checkout is not None else None
    if key is None or token is None:
        return False
    await think()
    paid = await timings.timed(
        "pay",
        client.post(
            "/checkout",
            data={**CARD, "idempotency_key": key.group(1), "csrf_token": token.group(1)},
        ),
        (303,),
    )
    location = paid.headers.get("location", "") if paid is not None else ""
    if not location.startswith("/orders/"):
        return False
    await think()
    return await timings.timed("tracking", client.get(location), (200,)) is not None


@dataclass
class ShopperRun:
    timings: Timings
    flows: int
    completed: int
    seconds: float
    expected_events: Counter[str]


async def shopper_flows(
    base: str,
    catalog: Catalog,
    clients: int,
    flows: int,
    deadline_seconds: float,
    think_seconds: float = 0.0,
) -> ShopperRun:
    """`clients` shoppers buy one after another until `flows` flows or the deadline."""
    timings = Timings()
    started = time.perf_counter()
    remaining = flows
    completed = 0

    async def shopper() -> None:
        nonlocal remaining, completed
        async with httpx.AsyncClient(base_url=base, timeout=TIMEOUT) as client:
            while remaining > 0 and time.perf_counter() - started < deadline_seconds:
                remaining -= 1
                if await _shop_once(client, catalog, timings, think_seconds):
                    completed += 1

    await asyncio.gather(*(shopper() for _ in range(clients)))
    elapsed = time.perf_counter() - started
    answered = timings.statuses
    expected = Counter(
        {
            "landing": answered[("landing", 200)],
            "product_view": answered[("product", 200)],
            "add_to_cart": answered[("add_to_cart", 303)],
            # checkout, payment and order are recorded once per paid checkout
            "checkout": answered[("pay", 303)],
            "payment": answered[("pay", 303)],
            "order": answered[("pay", 303)],
        }
    )
    return ShopperRun(timings, flows - max(remaining, 0), completed, elapsed, expected)


def stored_events(database_url: str) -> Counter[str]:
    """Shopper events in the database, by kind (read after the server stopped cleanly)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT kind, count(*) FROM shopper_events GROUP BY kind")
            )
            return Counter({str(kind): int(count) for kind, count in rows})
    finally:
        engine.dispose()


@dataclass
class SearchRun:
    timings: Timings
    answered: int
    shed: int
    shed_seconds: list[float]
    seconds: float
    healthz: list[float]
    probe_healthz: list[float] = field(default_factory=list)  # from a process of its own
    probe_shed: list[float] = field(default_factory=list)


async def _photo_form(client: httpx.AsyncClient, slug: str) -> str:
    landing = await client.get(f"/s/{slug}")
    token = CSRF.search(landing.text)
    if token is None:
        raise RuntimeError(f"no csrf token on /s/{slug} (HTTP {landing.status_code})")
    return token.group(1)


async def sample_healthz(base: str, stop: asyncio.Event, every: float = 0.1) -> list[float]:
    """/healthz latency every `every` seconds until `stop` (a timeout counts as 10 s)."""
    found: list[float] = []
    async with httpx.AsyncClient(base_url=base, timeout=httpx.Timeout(10.0)) as client:
        while not stop.is_set():
            started = time.perf_counter()
            try:
                await client.get("/healthz")
                found.append(time.perf_counter() - started)
            except httpx.HTTPError:
                found.append(10.0)
            await asyncio.sleep(every)
    return found


async def photo_searches(
    base: str, slug: str, photos: list[bytes], clients: int, count: int, deadline_seconds: float
) -> SearchRun:
    """`clients` shoppers search photos (page /s/{slug}/photo) until `count` or the deadline.

    Meanwhile /healthz is sampled twice: from this process's loop (late by itself when it
    drives 32 clients) and from `prober.py` in a process of its own, which also sends one more
    shopper's photo searches and times the 503s it gets: the server's answer times.
    """
    timings = Timings()
    shed_seconds: list[float] = []
    remaining = count
    started = time.perf_counter()
    stop = asyncio.Event()
    health = asyncio.create_task(sample_healthz(base, stop))
    probe_photo = Path(tempfile.mkdtemp()) / "probe.jpg"
    probe_photo.write_bytes(photos[0])
    prober = await asyncio.create_subprocess_exec(
        sys.executable,
        str(Path(__file__).with_name("prober.py")),
        base,
        str(deadline_seconds),
        slug,
        str(probe_photo),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )

    async def shopper(number: int) -> None:
        nonlocal remaining
        async with httpx.AsyncClient(base_url=base, timeout=TIMEOUT) as client:
            token = await _photo_form(client, slug)
            while remaining > 0 and time.perf_counter() - started < deadline_seconds:
                remaining -= 1
                photo = photos[(number + remaining) % len(photos)]
                sent = time.perf_counter()
                response = await timings.timed(
                    "photo_search",
                    client.post(
                        f"/s/{slug}/photo",
                        files={"image": ("photo.jpg", photo, "image/jpeg")},
                        data={"csrf_token": token},
                        follow_redirects=True,  # the page answers 303 to its match page
                    ),
                    (200, 503),
                )
                if response is not None and response.status_code == 503:
                    shed_seconds.append(time.perf_counter() - sent)
                    # As the page asks ("try again in a moment") and Retry-After says: a
                    # shopper does not send the same photo again within the millisecond.
                    await asyncio.sleep(float(response.headers.get("retry-after", "2")))

    await asyncio.gather(*(shopper(n) for n in range(clients)))
    elapsed = time.perf_counter() - started
    stop.set()
    healthz = await health
    probed, _ = await prober.communicate(b"")  # its standard input closes: it stops
    seen = json.loads(probed.decode().strip().splitlines()[-1])
    shutil.rmtree(probe_photo.parent, ignore_errors=True)
    answered = timings.statuses[("photo_search", 200)]
    return SearchRun(
        timings,
        answered,
        len(shed_seconds),
        shed_seconds,
        elapsed,
        healthz,
        probe_healthz=seen["healthz"],
        probe_shed=seen["shed"],
    )


async def cpu_per_search(server: Server, slug: str, photos: list[bytes], count: int) -> float:
    """Server CPU-seconds per photo search, one client, one search at a time."""
    async with httpx.AsyncClient(base_url=server.url, timeout=TIMEOUT) as client:
        token = await _photo_form(client, slug)
        files = {"image": ("photo.jpg", photos[0], "image/jpeg")}
        await client.post(
            f"/s/{slug}/photo", files=files, data={"csrf_token": token}, follow_redirects=True
        )  # warm
        before = server.cpu_seconds()
        for number in range(count):
            photo = photos[number % len(photos)]
            response = await client.post(
                f"/s/{slug}/photo",
                files={"image": ("photo.jpg", photo, "image/jpeg")},
                data={"csrf_token": token},
                follow_redirects=True,  # the page answers 303 to its match page
            )
            if response.status_code != 200:
                raise RuntimeError(f"a lone photo search answered HTTP {response.status_code}")
        return (server.cpu_seconds() - before) / count


def huge_png(side: int) -> bytes:
    """A side x side RGBA PNG that compresses to almost nothing (a big flat picture)."""
    from PIL import Image, ImageDraw

    picture = Image.new("RGBA", (side, side), (230, 225, 215, 255))
    draw = ImageDraw.Draw(picture)
    draw.ellipse((side // 5, side // 5, side * 4 // 5, side * 4 // 5), fill=(190, 30, 40, 255))
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", optimize=False, compress_level=9)
    return buffer.getvalue()


@dataclass
class UploadRun:
    statuses: Counter[int]
    baseline: dict[int, int]
    peak: dict[int, int]
    after: dict[int, int]
    seconds: float


async def huge_uploads(server: Server, slug: str, png: bytes, clients: int) -> UploadRun:
    """`clients` uploads of the huge PNG at once; worker RSS sampled every 50 ms."""
    async with httpx.AsyncClient(base_url=server.url, timeout=TIMEOUT) as client:
        token = await _photo_form(client, slug)
        baseline = server.rss_by_worker()
        peak = dict(baseline)
        stop = asyncio.Event()

        async def sample() -> None:
            while not stop.is_set():
                for pid, rss in server.rss_by_worker().items():
                    peak[pid] = max(peak.get(pid, 0), rss)
                await asyncio.sleep(0.05)

        sampler = asyncio.create_task(sample())
        started = time.perf_counter()
        responses = await asyncio.gather(
            *(
                client.post(
                    f"/s/{slug}/photo",
                    files={"image": ("huge.png", png, "image/png")},
                    data={"csrf_token": token},
                    follow_redirects=True,  # the page answers 303 to its match page
                )
                for _ in range(clients)
            ),
            return_exceptions=True,
        )
        elapsed = time.perf_counter() - started
        await asyncio.sleep(3)  # what the workers keep once the uploads are answered
        stop.set()
        await sampler
        after = server.rss_by_worker()
    statuses = Counter(r.status_code if isinstance(r, httpx.Response) else -1 for r in responses)
    return UploadRun(statuses, baseline, peak, after, elapsed)


async def run_with_deadline(work: Callable[[], Awaitable[object]], seconds: float) -> object:
    return await asyncio.wait_for(work(), seconds)

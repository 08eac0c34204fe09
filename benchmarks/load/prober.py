"""A prober in a process of its own: what one more visitor sees while the crowd runs.

The crowd's clients share one asyncio loop in the benchmark process; at 32 clients that loop
is late by itself (its own /healthz samples read p50 140 ms where this process read 5 ms on the
same server at the same moment), so the server's answer times are sampled from here:

    python benchmarks/load/prober.py BASE_URL SECONDS [SHOWROOM_SLUG PHOTO_FILE]

GET /healthz every 0.1 s, and (with a slug and a photo) POST the shopper photo page every 0.1 s
on a second connection, recording how long each 503 took, until SECONDS pass or its standard
input closes. Prints one JSON line at the end:
{"healthz": [seconds...], "shed": [seconds...], "answered": n}.
"""

from __future__ import annotations

import json
import re
import sys
import threading
import time
from pathlib import Path

import httpx

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Prober:
    def __init__(self, base: str, seconds: float, slug: str, photo: bytes) -> None:
        self.base, self.slug, self.photo = base, slug, photo
        self.deadline = time.perf_counter() + seconds
        self.done = threading.Event()
        self.healthz: list[float] = []
        self.shed: list[float] = []
        self.answered = 0

    def going(self) -> bool:
        return time.perf_counter() < self.deadline and not self.done.is_set()

    def sample_healthz(self) -> None:
        with httpx.Client(base_url=self.base, timeout=10) as client:
            while self.going():
                started = time.perf_counter()
                try:
                    client.get("/healthz")
                    self.healthz.append(time.perf_counter() - started)
                except httpx.HTTPError:
                    self.healthz.append(10.0)
                time.sleep(0.1)

    def search(self) -> None:
        with httpx.Client(base_url=self.base, timeout=60) as client:
            token = CSRF.search(client.get(f"/s/{self.slug}").text)
            while token is not None and self.going():
                started = time.perf_counter()
                response = client.post(
                    f"/s/{self.slug}/photo",
                    files={"image": ("photo.jpg", self.photo, "image/jpeg")},
                    data={"csrf_token": token.group(1)},
                )
                if response.status_code == 503:
                    self.shed.append(time.perf_counter() - started)
                else:
                    self.answered += 1
                time.sleep(0.1)


def main() -> None:
    base, seconds = sys.argv[1], float(sys.argv[2])
    slug = sys.argv[3] if len(sys.argv) > 3 else ""
    photo = Path(sys.argv[4]).read_bytes() if len(sys.argv) > 4 else b""
    prober = Prober(base, seconds, slug, photo)
    threading.Thread(target=lambda: (sys.stdin.read(), prober.done.set()), daemon=True).start()
    threads = [threading.Thread(target=prober.sample_healthz)]
    if slug and photo:
        threads.append(threading.Thread(target=prober.search))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(json.dumps({"healthz": prober.healthz, "shed": prober.shed, "answered": prober.answered}))


if __name__ == "__main__":
    main()

"""Write random graphs in OR-Library p-median format, sized like the held-out pmed11-pmed40."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

# (n, p) of pmed11..pmed40; each has n*n/50 edges, lengths uniform in 1..100.
HELD_OUT_SIZES = [
    (300, 5), (300, 10), (300, 30), (300, 60), (300, 100),
    (400, 5), (400, 10), (400, 40), (400, 80), (400, 133),
    (500, 5), (500, 10), (500, 50), (500, 100), (500, 167),
    (600, 5), (600, 10), (600, 60), (600, 120), (600, 200),
    (700, 5), (700, 10), (700, 70), (700, 140),
    (800, 5), (800, 10), (800, 80),
    (900, 5), (900, 10), (900, 90),
]  # fmt: skip


def random_instance(n: int, p: int, seed: int) -> str:
    """A connected random graph (a random spanning tree, then random extra edges)."""
    rng = np.random.default_rng(seed)
    m = n * n // 50
    perm = rng.permutation(n) + 1
    tree = [(int(perm[k]), int(perm[rng.integers(0, k)])) for k in range(1, n)]
    extra = rng.integers(1, n + 1, size=(m - len(tree), 2))
    edges = tree + [(int(a), int(b)) for a, b in extra]
    lengths = rng.integers(1, 101, size=len(edges))
    lines = [f" {n} {m} {p} "] + [
        f" {a} {b} {c} " for (a, b), c in zip(edges, lengths, strict=True)
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--sizes", default="all", help="'all' or e.g. 900:5,900:90")
    args = parser.parse_args()
    sizes = HELD_OUT_SIZES
    if args.sizes != "all":
        sizes = [tuple(map(int, s.split(":"))) for s in args.sizes.split(",")]  # type: ignore[misc]
    args.out.mkdir(parents=True, exist_ok=True)
    for number, (n, p) in enumerate(sizes, start=11):
        path = args.out / f"rand{number}_n{n}_p{p}.txt"
        path.write_text(random_instance(n, p, seed=number))
        print(path)


if __name__ == "__main__":
    main()

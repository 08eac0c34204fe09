"""Search latency and memory of a 1,000,000-picture catalog index (synthetic vectors).

    PYTHONPATH=src python benchmarks/search/million.py --dim 128 --factory Flat
    PYTHONPATH=src python benchmarks/search/million.py --dim 1280 --factory IVF1024,SQ8

Vectors are drawn around 100,000 "products" (clustered like real catalogs, a few
pictures each), L2-normalised; queries are perturbed catalog vectors. Reports
p50/p95 of ``FaissIndex.search`` (k=200, as the pipeline asks), recall@1 against
exact search for approximate indexes, resident memory and the index's own size.
"""

from __future__ import annotations

import argparse
import json
import resource
import time

import faiss
import numpy as np

from vitrine.search.embedder import l2_normalise
from vitrine.search.index import FaissIndex, ImageRecord


def _vectors(count: int, dim: int, products: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = l2_normalise(rng.standard_normal((products, dim), dtype=np.float32))
    out = np.empty((count, dim), np.float32)
    step = 100_000
    for start in range(0, count, step):
        stop = min(count, start + step)
        owners = rng.integers(0, products, stop - start)
        noise = rng.standard_normal((stop - start, dim), dtype=np.float32) * (0.6 / np.sqrt(dim))
        out[start:stop] = l2_normalise(centres[owners] + noise)
    return out


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(count: int, dim: int, factory: str, queries: int, nprobe: int, threads: int) -> dict:
    faiss.omp_set_num_threads(threads)
    vectors = _vectors(count, dim, max(1, count // 10), seed=0)
    records = [ImageRecord(f"img-{n}", f"prod-{n // 10}") for n in range(count)]
    before = _rss_mb()
    started = time.perf_counter()
    index = FaissIndex(dim, factory, nprobe=nprobe)
    if "IVF" in factory:
        index.train(vectors[np.random.default_rng(1).choice(count, 100_000, replace=False)])
    index.add(records, vectors)
    build_s = time.perf_counter() - started
    rng = np.random.default_rng(2)
    picks = rng.choice(count, queries, replace=False)
    probes = l2_normalise(
        vectors[picks] + rng.standard_normal((queries, dim), dtype=np.float32) * 0.3 / np.sqrt(dim)
    )
    timings, hits = [], 0
    for probe, pick in zip(probes, picks, strict=True):
        started = time.perf_counter()
        found = index.search(probe, k=200)
        timings.append((time.perf_counter() - started) * 1000)
        hits += found[0].record.image_id == f"img-{pick}"
    showroom = {f"prod-{n}" for n in rng.choice(count // 10, 300, replace=False)}
    scoped = []
    for probe in probes[:50]:
        started = time.perf_counter()
        index.search(probe, k=200, allowed_product_ids=showroom)
        scoped.append((time.perf_counter() - started) * 1000)
    return {
        "count": count,
        "dim": dim,
        "factory": factory,
        "nprobe": nprobe,
        "threads": threads,
        "build_s": round(build_s, 1),
        "search_ms_p50": round(float(np.percentile(timings, 50)), 2),
        "search_ms_p95": round(float(np.percentile(timings, 95)), 2),
        "recall_at_1_of_perturbed_source": hits / queries,
        "showroom_scoped_search_ms_p95": round(float(np.percentile(scoped, 95)), 2),
        "index_bytes_mb": round(faiss.serialize_index(index._faiss).nbytes / 1e6, 1),
        "rss_growth_mb": round(_rss_mb() - before, 1),
        "peak_rss_mb": round(_rss_mb(), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--factory", default="Flat")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--nprobe", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    print(
        json.dumps(
            run(args.count, args.dim, args.factory, args.queries, args.nprobe, args.threads),
            indent=2,
        )
    )


if __name__ == "__main__":
    main()

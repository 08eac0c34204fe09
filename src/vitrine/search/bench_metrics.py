"""Figures of the search benchmark: recall, open-set AUROC, latency, and the printed table."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from vitrine.search.pipeline import SearchAnswer, SearchPipeline


class Query(Protocol):
    @property
    def product_id(self) -> str: ...

    @property
    def group(self) -> str: ...


def auroc(positive: Sequence[float], negative: Sequence[float]) -> float:
    """Probability that a random positive scores above a random negative (ties count half)."""
    if not positive or not negative:
        return float("nan")
    pos, neg = np.asarray(positive)[:, None], np.asarray(negative)[None, :]
    return float(np.mean((pos > neg) + 0.5 * (pos == neg)))


def _answer_rate_at(inside: list[float], outside: list[float], false_rate: float) -> float:
    """Share of in-catalog photos answered by the threshold that lets ``false_rate`` of OOC through.

    A point of the trade-off curve (the threshold is chosen on these very photos), not a
    figure of the default threshold.
    """
    threshold = float(np.quantile(outside, 1 - false_rate))
    return float(np.mean(np.asarray(inside) > threshold))


def score_answers(
    queries: Sequence[Query], answers: Sequence[SearchAnswer], held: set[str]
) -> dict[str, Any]:
    inside = [(q, a) for q, a in zip(queries, answers, strict=True) if q.product_id not in held]
    outside = [a for q, a in zip(queries, answers, strict=True) if q.product_id in held]
    ranked = [[m.product_id for m in a.results] for _, a in inside]
    hit1 = np.array(
        [bool(r) and r[0] == q.product_id for r, (q, _) in zip(ranked, inside, strict=True)]
    )
    hit5 = np.array([q.product_id in r[:5] for r, (q, _) in zip(ranked, inside, strict=True)])
    groups = np.array([q.group for q, _ in inside])
    result: dict[str, Any] = {
        "n_queries": len(inside),
        "recall_at_1": float(hit1.mean()),
        "recall_at_5": float(hit5.mean()),
        "recall_at_1_by_group": {g: float(hit1[groups == g].mean()) for g in sorted(set(groups))},
    }
    result |= first_screen_figures(inside, outside)
    answered = np.array([not a.not_found for _, a in inside])
    result["answer_rate_in_catalog"] = float(answered.mean())
    result["accuracy_when_answered"] = float(hit1[answered].mean()) if answered.any() else 0.0
    if outside:
        result["n_out_of_catalog"] = len(outside)
        result["open_set_auroc"] = auroc(
            [a.confidence for _, a in inside], [a.confidence for a in outside]
        )
        result["false_match_rate_out_of_catalog"] = float(
            np.mean([not a.not_found for a in outside])
        )
        result["answer_rate_at_10pct_false_match"] = _answer_rate_at(
            [a.confidence for _, a in inside], [a.confidence for a in outside], 0.10
        )
    else:
        result["open_set_auroc"] = None
    return result


def first_screen_figures(
    inside: Sequence[tuple[Query, SearchAnswer]], outside: Sequence[SearchAnswer]
) -> dict[str, float]:
    """What the shopper's first screen shows: their product (alone or in the short list)?"""
    on_screen = [q.product_id in [m.product_id for m in a.shortlist] for q, a in inside]
    single_right = [
        a.first_screen == "single" and a.results[0].product_id == q.product_id for q, a in inside
    ]
    figures = {
        "first_screen_right": float(np.mean(on_screen)) if inside else 0.0,
        "single_and_right": float(np.mean(single_right)) if inside else 0.0,
        "shortlist_shown": float(np.mean([a.first_screen == "shortlist" for _, a in inside]))
        if inside
        else 0.0,
        "not_found_shown": float(np.mean([a.first_screen == "not_found" for _, a in inside]))
        if inside
        else 0.0,
    }
    if outside:
        figures["single_wrong_out_of_catalog"] = float(
            np.mean([a.first_screen == "single" for a in outside])
        )
    return figures


def latency(pipeline: SearchPipeline, blobs: Sequence[bytes]) -> dict[str, float]:
    """p50/p95 of full searches (decode 12 MP JPEG, embed, search, re-rank), after one warm-up."""
    pipeline.search_bytes(blobs[0])
    totals, cpu, stages = [], [], []
    for blob in blobs:
        started, started_cpu = time.perf_counter(), time.process_time()
        answer = pipeline.search_bytes(blob)
        totals.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        stages.append(answer.timings_ms)
    result = {
        "latency_ms_p50": float(np.percentile(totals, 50)),
        "latency_ms_p95": float(np.percentile(totals, 95)),
        # CPU time of this process (all its threads): what a search costs on a quiet machine.
        "cpu_ms_p50": float(np.percentile(cpu, 50)),
        "cpu_ms_p95": float(np.percentile(cpu, 95)),
    }
    for stage in stages[0]:
        result[f"stage_ms_{stage}"] = float(np.median([s.get(stage, 0.0) for s in stages]))
    return result


def hardware() -> dict[str, Any]:
    """CPU model and core count of this machine."""
    import os
    import platform

    model = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    # Other jobs on a shared machine inflate timings: say how busy it was.
    return {"cpu": model, "cores": os.cpu_count(), "load_average_1min": os.getloadavg()[0]}


def print_report(result: dict[str, Any]) -> None:
    """Rich tables: one row per stage, then latency, throughput and hardware."""
    from rich.console import Console
    from rich.table import Table

    table = Table(
        title=f"Visual search on Grocery ({result['options']['split']}, "
        f"{result['options']['shots']} shots, {result['n_queries']} in-catalog queries)"
    )
    for column in (
        "stage",
        "R@1",
        "R@5",
        "Fruit",
        "Vegetables",
        "Packages",
        "AUROC",
        "answered",
        "false match OOC",
        "1st screen",
        "single right",
    ):
        table.add_column(column, justify="right")
    for name, row in result["stages"].items():
        by_group = row["recall_at_1_by_group"]
        table.add_row(
            name,
            f"{row['recall_at_1']:.3f}",
            f"{row['recall_at_5']:.3f}",
            *(f"{by_group.get(g, float('nan')):.3f}" for g in ("Fruit", "Vegetables", "Packages")),
            _figure(row.get("open_set_auroc")),
            f"{row['answer_rate_in_catalog']:.3f}",
            _figure(row.get("false_match_rate_out_of_catalog")),
            f"{row['first_screen_right']:.3f}",
            f"{row['single_and_right']:.3f}",
        )
    console = Console(width=160)
    console.print(table)
    stage_ms = {
        k.removeprefix("stage_ms_"): v for k, v in result.items() if k.startswith("stage_ms_")
    }
    console.print(
        f"latency of one search incl. 12 MP JPEG decode: p50 {result['latency_ms_p50']:.0f} ms, "
        f"p95 {result['latency_ms_p95']:.0f} ms (CPU time p50 {result['cpu_ms_p50']:.0f}, "
        f"p95 {result['cpu_ms_p95']:.0f} ms); median per stage (ms): {stage_ms}"
    )
    console.print(
        f"indexing: {result['indexing_images_per_s']:.1f} images/s "
        f"({result['indexing_cpu_ms_per_image']:.0f} CPU ms per picture); "
        f"hardware: {result['hardware']}"
    )


def _figure(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"

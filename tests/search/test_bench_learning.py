"""The learning-loop benchmark runs end to end on a tiny Grocery-like dataset; shoppers pick
only what the answer page offers them (or by name when told to)."""

from __future__ import annotations

import json
from itertools import pairwise
from pathlib import Path

import pytest

from tests.search.test_bench import _tiny_grocery
from vitrine.search.bench import main as bench_main
from vitrine.search.bench_learning import shopper_pick
from vitrine.search.pipeline import ProductMatch, SearchAnswer


def _answer(screen: str, ranked: list[str]) -> SearchAnswer:
    results = [ProductMatch(p, 1.0 - i / 10, f"img-{p}") for i, p in enumerate(ranked)]
    return SearchAnswer(results, screen != "single", 0.5, {}, 0.8, screen)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("screen", "ranked", "picks", "picked"),
    [
        ("single", ["a", "b"], "name", None),  # right alone: the shopper taps the best match
        ("single", ["a", "b"], "every", "list"),  # the bound: every photo is taught
        ("single", ["b", "a"], "page", "list"),  # listed under a wrong best match
        ("shortlist", ["b", "c", "d", "a", "e"], "page", "list"),
        ("shortlist", ["b", "c", "d", "e", "a"], "page", None),  # fifth: not on the page
        ("shortlist", ["b", "c", "d", "e", "a"], "name", "text"),  # found by name after
        ("not_found", ["b", "c", "a"], "page", "list"),  # among the similar products
        ("not_found", ["b", "c", "d", "a"], "page", None),
    ],
)
def test_a_simulated_shopper_picks_what_the_page_offers(
    screen: str, ranked: list[str], picks: str, picked: str | None
) -> None:
    assert shopper_pick(_answer(screen, ranked), "a", picks=picks) == picked


@pytest.mark.slow
def test_the_learning_loop_reports_each_level_and_draws_its_curve(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _tiny_grocery(tmp_path / "grocery", photos=5)
    curve = tmp_path / "curve.png"
    argv = ["--dataset", str(root), "--shots", "1", "--size", "96", "--threads", "1"]
    bench_main(
        [
            *argv,
            "--learning-loop",
            "--learning-rounds",
            "2",
            "--learning-picks",
            "name",
            "--learning-later",
            "1",
            "--curve",
            str(curve),
            "--json",
        ]
    )
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    levels = result["learning_loop"]
    assert [row["accepted_per_product"] for row in levels] == [0, 1, 2]
    assert levels[0]["accepted_photos"] == 0
    for before, after in pairwise(levels):
        assert (
            before["accepted_photos"]
            <= after["accepted_photos"]
            <= 4 * after["accepted_per_product"]
        )
        assert before["shopper_searches"] <= after["shopper_searches"] <= 4 * 3
    assert all(0 <= row["recall_at_1"] <= row["recall_at_5"] <= 1 for row in levels)
    assert result["n_later"] == 4  # the last photo of each product's queue: never picked
    assert all(0 <= row["later"]["recall_at_1"] <= 1 for row in levels)
    assert curve.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

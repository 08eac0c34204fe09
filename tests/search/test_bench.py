"""The benchmark runs end to end on a tiny dataset laid out like Grocery (made by the test)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.search.pictures import draw_product
from vitrine.search.bench import BenchOptions, run_search_benchmark
from vitrine.search.bench import main as bench_main
from vitrine.search.bench_metrics import auroc
from vitrine.search.grocery import enrollment_shots, read_products, read_split

GROUPS = {0: "Fruit", 1: "Vegetables", 2: "Packages"}


def _tiny_grocery(root: Path, products: int = 4, photos: int = 3) -> Path:
    lines = [
        "Class Name (str),Class ID (int),Coarse Class Name (str),Coarse Class ID (int),"
        "Iconic Image Path (str),Product Description Path (str)"
    ]
    splits: dict[str, list[str]] = {"train": [], "val": []}
    for product in range(products):
        group = GROUPS[product % 3]
        iconic = f"iconic-images-and-descriptions/{group}/P{product}/P{product}_Iconic.jpg"
        (root / iconic).parent.mkdir(parents=True)
        draw_product(product, size=(198, 198)).save(root / iconic)
        lines.append(f"P{product},{product},C{product},{product},/{iconic},/none.txt")
        for split in splits:
            folder = root / split / group / f"P{product}"
            folder.mkdir(parents=True)
            for photo in range(photos):
                name = f"{split}/{group}/P{product}/P{product}_{photo:03d}.jpg"
                draw_product(product + 100 * photo + (7 if split == "val" else 0)).save(root / name)
                splits[split].append(f"{name}, {product}, {product}")
    (root / "classes.csv").write_text("\n".join(lines) + "\n")
    for split, rows in splits.items():
        (root / f"{split}.txt").write_text("\n".join(rows) + "\n")
    return root


def test_grocery_layout_is_read(tmp_path: Path) -> None:
    root = _tiny_grocery(tmp_path)
    products = read_products(root)
    assert [p.group for p in products] == ["Fruit", "Vegetables", "Packages", "Fruit"]
    assert products[0].iconic_path.exists()
    photos = read_split(root, "train")
    assert len(photos) == 12
    shots = enrollment_shots(photos, 2, seed=0)
    assert len(shots) == 8
    assert shots == enrollment_shots(photos, 2, seed=0)
    with pytest.raises(FileNotFoundError):
        read_split(root, "test")
    (root / "test.txt").write_text((root / "val.txt").read_text())
    assert read_split(root, "test") == read_split(root, "val")


def test_benchmark_names_a_missing_split(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _tiny_grocery(tmp_path)
    with pytest.raises(SystemExit):
        bench_main(["--dataset", str(root), "--split", "test"])
    assert "no test.txt" in capsys.readouterr().err


def test_benchmark_reports_every_figure(tmp_path: Path) -> None:
    root = _tiny_grocery(tmp_path)
    options = BenchOptions(
        dataset_dir=root,
        shots=2,
        holdout_products=1,
        size=96,
        threads=1,
        latency_queries=2,
        latency_photo_size=(800, 600),
    )
    result = run_search_benchmark(options)
    for key in (
        "recall_at_1",
        "recall_at_5",
        "latency_ms_p50",
        "latency_ms_p95",
        "n_queries",
        "open_set_auroc",
        "indexing_images_per_s",
        "stages",
        "hardware",
    ):
        assert key in result
    assert result["n_queries"] == 9
    assert 0 <= result["recall_at_1"] <= result["recall_at_5"] <= 1


def test_auroc() -> None:
    assert auroc([0.9, 0.8], [0.1, 0.2]) == 1.0
    assert auroc([0.5], [0.5]) == 0.5


def test_benchmark_runs_when_every_train_photo_is_a_shot_and_prints_one_json_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A few seller photos per product, all used as shots: nothing is left to calibrate on."""
    import json

    root = _tiny_grocery(tmp_path, photos=2)
    argv = ["--dataset", str(root), "--shots", "5", "--size", "96", "--threads", "1"]
    bench_main([*argv, "--latency-queries", "2", "--json"])
    lines = capsys.readouterr().out.strip().splitlines()
    result = json.loads(lines[-1])
    assert result["calibration"]["photos"] == 0
    assert "shipped" in result["calibration"]["confidence"]
    assert 0 <= result["recall_at_1"] <= 1

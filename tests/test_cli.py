"""The `vitrine` command: each bad input gives one clear message and a non-zero exit."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.factories import write_csv, write_photo
from vitrine.cli import app

runner = CliRunner()


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_unknown_options_are_refused() -> None:
    code, output = _run("demo", "--colour", "red")
    assert code == 2
    assert "No such option: --colour" in output


def test_db_upgrade_creates_the_data_dir_and_schema(tmp_path: Path) -> None:
    code, output = _run("--data-dir", str(tmp_path / "fresh"), "db", "upgrade")
    assert code == 0, output
    assert "up to date" in output
    assert (tmp_path / "fresh" / "vitrine.db").is_file()


def test_a_data_dir_that_is_a_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    code, output = _run("--data-dir", str(tmp_path / "file"), "db", "upgrade")
    assert code == 1
    assert f"cannot create data directory {tmp_path / 'file'}" in output


def test_a_database_that_does_not_answer_is_named(tmp_path: Path) -> None:
    url = "postgresql+psycopg://nobody@127.0.0.1:1/vitrine"
    code, output = _run("--data-dir", str(tmp_path), "--database-url", url, "db", "upgrade")
    assert code == 1
    assert "does not answer" in output


def test_catalog_import_reports_bad_rows_and_keeps_good_ones(tmp_path: Path) -> None:
    write_photo(tmp_path / "a.jpg")
    catalog = write_csv(
        tmp_path / "c.csv", "sku,name,price,images", "A,Apple,1.20,a.jpg", "B,Bad,-1,"
    )
    code, output = _run("--data-dir", str(tmp_path / "d"), "catalog", "import", str(catalog))
    assert code == 2
    assert "created 1 products" in output
    assert "line 3: price '-1' is negative" in output
    code, output = _run("--data-dir", str(tmp_path / "d"), "catalog", "import", str(catalog))
    assert "created 0 products, updated 1" in output


def test_catalog_import_with_missing_columns_stores_nothing(tmp_path: Path) -> None:
    catalog = write_csv(tmp_path / "c.csv", "sku,name", "A,Apple")
    code, output = _run("--data-dir", str(tmp_path / "d"), "catalog", "import", str(catalog))
    assert code == 1
    assert "no column price" in output
    assert not (tmp_path / "d").exists()


def test_users_create_refuses_weak_passwords_and_duplicates(tmp_path: Path) -> None:
    base = ("--data-dir", str(tmp_path), "users", "create", "ana@shop.fr", "--role", "admin")
    code, output = _run(*base, "--password", "short")
    assert (code, "at least 10 characters" in output) == (1, True)
    code, output = _run(*base, "--password", "a-long-enough-secret")
    assert (code, "operator ana@shop.fr (admin) created" in output) == (0, True)
    code, output = _run(*base, "--password", "a-long-enough-secret")
    assert (code, "exists already" in output) == (1, True)


def test_invalid_settings_from_the_environment_are_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VITRINE_PORT", "not-a-port")
    code, output = _run("--data-dir", str(tmp_path), "db", "upgrade")
    assert code == 1
    assert "invalid settings" in output
    assert "port" in output


def test_report_writes_a_pdf_and_refuses_bad_dates(tmp_path: Path) -> None:
    from vitrine.demo.loader import load_demo
    from vitrine.installation import open_installation
    from vitrine.settings import Settings

    installation = open_installation(Settings(environment="test", data_dir=tmp_path))
    with installation.session_factory() as session, session.begin():
        load_demo(db_session=session, media=installation.media, data_dir=tmp_path, currency="EUR")
    installation.dispose()
    base = ("--data-dir", str(tmp_path), "report", "les-halles")
    out = tmp_path / "report.pdf"
    code, output = _run(*base, "--from", "2026-11-01", "--to", "2026-11-30", "--out", str(out))
    assert code == 0, output
    assert out.read_bytes().startswith(b"%PDF")
    code, output = _run(*base, "--from", "2026-13-01", "--to", "2026-11-30")
    assert (code, "dates must be YYYY-MM-DD" in output) == (1, True)
    code, output = _run(*base, "--from", "2026-11-30", "--to", "2026-11-01")
    assert (code, "--from is after --to" in output) == (1, True)
    code, output = _run(
        "--data-dir",
        str(tmp_path),
        "report",
        "nowhere",
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-02",
    )
    assert (code, "no showroom 'nowhere'" in output) == (1, True)


def test_lockers_plan_writes_sites_geojson_and_a_map(tmp_path: Path) -> None:
    demand = write_csv(
        tmp_path / "demand.csv",
        "lat,lon,weight",
        *[f"{48.85 + i * 0.001},{2.35 + (i % 5) * 0.001},{1 + i % 3}" for i in range(40)],
    )
    sites = write_csv(
        tmp_path / "sites.csv",
        "lat,lon",
        *[f"{48.85 + i * 0.004},2.352" for i in range(10)],
    )
    out_dir = tmp_path / "plan"
    args = (
        "--data-dir",
        str(tmp_path / "d"),
        "lockers",
        "plan",
        "--demand",
        str(demand),
        "--candidates",
        str(sites),
        "--count",
        "2",
        "--out",
        str(out_dir),
    )
    code, output = _run(*args)
    assert code == 0, output
    assert "coverage" in output.lower()
    assert "gap 0.0000%; proven yes" in output
    assert {p.name for p in out_dir.iterdir()} >= {"sites.csv", "sites.geojson", "map.png"}
    code, output = _run(*args, "--objective", "distance", "--seconds", "5")
    assert (code, "lower bound" in output, "proven yes" in output) == (0, True, True), output
    assert _run(*args, "--seconds", "0")[0] == 2
    code, output = _run(*args[:-4], "--count", "11", "--out", str(out_dir))
    assert code == 1
    code, output = _run(*args, "--objective", "nearest")
    assert (code, "--objective must be coverage or distance" in output) == (1, True)
    code, output = _run(
        "--data-dir",
        str(tmp_path / "d"),
        "lockers",
        "plan",
        "--candidates",
        str(sites),
        "--count",
        "2",
        "--demand-from-orders",
        "--out",
        str(out_dir),
    )
    assert (code, "no paid home-delivery order" in output) == (1, True)


def test_lockers_pmedian_solves_an_orlib_file(tmp_path: Path) -> None:
    import json

    instance = next((Path(__file__).parent / "lockers" / "planning" / "data").glob("*.txt"))
    code, output = _run("lockers", "pmedian", str(instance), "--json")
    assert code == 0, output
    last = json.loads(output.strip().splitlines()[-1])
    assert set(last) == {"instance", "objective", "lower_bound", "gap", "proven", "seconds"}
    assert last["proven"] is True and last["lower_bound"] == last["objective"]
    assert _run("lockers", "pmedian", str(tmp_path / "none.txt"))[0] == 1


def test_search_commands_find_enroll_and_refuse_bad_photos(tmp_path: Path) -> None:
    from vitrine.demo.loader import load_demo
    from vitrine.installation import open_installation
    from vitrine.settings import Settings

    installation = open_installation(Settings(environment="test", data_dir=tmp_path))
    with installation.session_factory() as session, session.begin():
        load_demo(db_session=session, media=installation.media, data_dir=tmp_path, currency="EUR")
    installation.dispose()
    photo = Path(__file__).parent / "data" / "banana-in-store.jpg"
    base = ("--data-dir", str(tmp_path), "search")
    code, output = _run(*base, "query", str(photo), "--showroom", "les-halles", "--limit", "2")
    assert code == 0, output
    assert output.splitlines()[1].startswith("1. Banana [GRO-BANANA]")
    not_a_photo = write_csv(tmp_path / "x.jpg", "a,b")
    code, output = _run(*base, "query", str(not_a_photo))
    assert (code, "not a picture" in output) == (1, True)
    code, output = _run(*base, "enroll", "GRO-BANANA", str(photo))
    assert (code, "1 photos of Banana added" in output) == (0, True)
    code, output = _run(*base, "enroll", "NO-SUCH-SKU", str(photo))
    assert (code, "no product 'NO-SUCH-SKU'" in output) == (1, True)
    code, output = _run(*base, "reindex")
    assert (code, "search index: 82 pictures" in output) == (0, True)

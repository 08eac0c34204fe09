"""`vitrine lockers ...`: import sites, create and revoke couriers, run the housekeeping."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from tests.factories import write_csv
from vitrine.cli import app

runner = CliRunner()
HEADER = "ref,name,address,latitude,longitude,opening_hours,S,M,L"


def _run(data_dir: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["--data-dir", str(data_dir), *args])
    return result.exit_code, result.output


def test_sites_are_imported_and_bad_rows_named(tmp_path: Path) -> None:
    sites = write_csv(
        tmp_path / "sites.csv",
        HEADER,
        "PAR-001,Les Halles,1 rue Rambuteau,48.8625,2.3470,24/7,10,6,2",
        "PAR-002,Louvre,,48.8606,2.3376,Mo-Sa 08:00-20:00,4,4,0",
        "PAR-003,Nowhere,,148.0,2.0,,1,1,1",
        "PAR-004,Bad count,,48.0,2.0,,x,1,1",
    )
    code, output = _run(tmp_path / "data", "lockers", "sites", "import", str(sites))
    assert code == 2, output
    assert "created 2 sites, updated 0" in output
    assert "line 4: position 148.0, 2.0 is not on Earth" in output
    assert "line 5: compartment count S='x' is not a whole number" in output
    again = write_csv(tmp_path / "again.csv", HEADER, "PAR-001,Les Halles,,48.8625,2.3470,,12,6,2")
    code, output = _run(tmp_path / "data", "lockers", "sites", "import", str(again))
    assert (code, "created 0 sites, updated 1" in output) == (0, True)


def test_a_site_file_without_its_columns_imports_nothing(tmp_path: Path) -> None:
    sites = write_csv(tmp_path / "sites.csv", "name,lat", "Les Halles,48.8")
    code, output = _run(tmp_path / "data", "lockers", "sites", "import", str(sites))
    assert code == 1 and "missing columns: ref, latitude, longitude" in output


def test_a_courier_token_is_shown_once_and_can_be_revoked(tmp_path: Path) -> None:
    code, output = _run(tmp_path / "data", "lockers", "couriers", "create", "Rapide Express")
    assert code == 0, output
    assert re.search(r"vtc_[\w-]{40,}", output)
    courier_id = re.search(r"\(([0-9a-f]{32})\)", output)
    assert courier_id is not None
    code, output = _run(tmp_path / "data", "lockers", "couriers", "revoke", courier_id.group(1))
    assert (code, output.strip()) == (0, f"courier {courier_id.group(1)} revoked")
    code, output = _run(tmp_path / "data", "lockers", "couriers", "revoke", "nope")
    assert code == 1 and "no courier nope" in output


def test_housekeeping_reports_what_it_did(tmp_path: Path) -> None:
    code, output = _run(tmp_path / "data", "lockers", "housekeeping")
    assert code == 0, output
    assert "0 reservations expired, 0 reminders, 0 parcels returned to sender" in output

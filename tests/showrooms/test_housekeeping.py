"""`vitrine housekeeping` deletes shoppers' photos past their retention with their candidates."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from vitrine.cli import app


def test_housekeeping_deletes_expired_shopper_photos(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    old = data_dir / "review-photos" / "2000-01-01" / "AAAAAAAAAAAAAAAAAAAAAA.jpg"
    old.parent.mkdir(parents=True)
    old.write_bytes(b"an old photo")
    result = CliRunner().invoke(app, ["--data-dir", str(data_dir), "housekeeping"])
    assert result.exit_code == 0, result.output
    assert "shoppers' photos of 1 past days deleted (kept 30 days)" in result.output
    assert "0 candidate photos expired with them, 0 accepted automatically" in result.output
    assert not old.parent.exists()

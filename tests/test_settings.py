"""Settings come from VITRINE_* variables and an optional file; bad values are refused clearly."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from vitrine.settings import DEVELOPMENT_SECRET, Settings, load_settings


def test_defaults_put_sqlite_in_the_data_dir() -> None:
    settings = load_settings()
    assert settings.data_dir == Path("vitrine-data")
    assert settings.resolved_database_url.endswith("vitrine-data/vitrine.db")
    assert settings.resolved_database_url.startswith("sqlite:///")
    assert (settings.host, settings.port, settings.currency) == ("127.0.0.1", 8000, "EUR")


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("VITRINE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("VITRINE_PORT", "9001")
    monkeypatch.setenv("VITRINE_LANGUAGES", '["fr", "en"]')
    settings = load_settings()
    assert settings.data_dir == tmp_path
    assert settings.port == 9001
    assert settings.languages == ["fr", "en"]


def test_settings_file_is_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    settings_file = tmp_path / "vitrine.env"
    settings_file.write_text("VITRINE_CURRENCY=CNY\nVITRINE_HOST=0.0.0.0\n")
    monkeypatch.setenv("VITRINE_SETTINGS_FILE", str(settings_file))
    settings = load_settings()
    assert (settings.currency, settings.host) == ("CNY", "0.0.0.0")


def test_missing_settings_file_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("VITRINE_SETTINGS_FILE", str(tmp_path / "absent.env"))
    with pytest.raises(FileNotFoundError, match=r"absent\.env"):
        load_settings()


@pytest.mark.parametrize(
    ("name", "value"), [("VITRINE_PORT", "99999"), ("VITRINE_CURRENCY", "euro")]
)
def test_bad_values_are_refused(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        load_settings()


def test_production_refuses_the_development_secret() -> None:
    with pytest.raises(ValidationError, match="VITRINE_SECRET_KEY"):
        Settings(environment="production", secret_key=DEVELOPMENT_SECRET)
    assert Settings(environment="production", secret_key="a-real-secret").secret_key

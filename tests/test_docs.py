"""Every command and every setting is documented in the README (a test fails when one is not)."""

from __future__ import annotations

from pathlib import Path

import typer

from vitrine.cli import app
from vitrine.settings import Settings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def _command_paths(group: object, prefix: str = "vitrine") -> list[str]:
    paths = []
    for name, command in getattr(group, "commands", {}).items():
        path = f"{prefix} {name}"
        if hasattr(command, "commands"):
            paths += _command_paths(command, path)
        else:
            paths.append(path)
    return paths


def test_every_command_is_in_the_readme() -> None:
    commands = _command_paths(typer.main.get_command(app))
    assert "vitrine catalog import" in commands
    assert [command for command in commands if f"`{command}" not in README] == []


def test_every_setting_is_in_the_readme() -> None:
    names = [f"VITRINE_{name.upper()}" for name in Settings.model_fields]
    assert [name for name in names if name not in README] == []

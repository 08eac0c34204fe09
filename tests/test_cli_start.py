"""The `vitrine` command starts fast: importing the CLI loads none of the heavy libraries.

Checked through sys.modules in a fresh interpreter (not with a clock, which a busy machine
makes flaky): each library below costs 0.1-1 s to import, and only the command that needs
it may load it.
"""

from __future__ import annotations

import subprocess
import sys

HEAVY = (
    "numpy",
    "scipy",
    "ortools",
    "highspy",
    "onnxruntime",
    "torch",
    "faiss",
    "cv2",
    "matplotlib",
    "sqlalchemy",
    "alembic",
    "pydantic",
    "fastapi",
    "uvicorn",
    "PIL",
    "redis",
)


def _loaded_after(code: str) -> list[str]:
    probe = f"{code}\nimport sys\nprint(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    return done.stdout.split()


def test_importing_the_cli_loads_no_heavy_library() -> None:
    assert _loaded_after("import vitrine.cli") == []


def test_help_of_every_command_group_loads_no_heavy_library() -> None:
    code = (
        "from typer.testing import CliRunner\n"
        "from vitrine.cli import app\n"
        "for args in ([], ['lockers'], ['lockers', 'plan'], ['lockers', 'pmedian'],"
        " ['search'], ['catalog'], ['serve'], ['bench']):\n"
        "    result = CliRunner().invoke(app, [*args, '--help'])\n"
        "    assert result.exit_code == 0, (args, result.output)"
    )
    # typer itself loads pydantic to render help (typer._adapters): that much is not ours to move.
    assert [m for m in _loaded_after(code) if m != "pydantic"] == []

"""The layering of STYLE.md, checked on the import graph rather than hoped for."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import vitrine

PACKAGE_DIR = Path(vitrine.__file__).resolve().parent
CAPABILITIES = {
    "catalog",
    "showrooms",
    "accounts",
    "orders",
    "lockers",
    "search",
    "live",
    "analytics",
    "demo",
    "notifications",
    "throttling",
}
# Modules of a capability that own storage (and any `<topic>_service.py`); every other module
# there is pure logic.
STORAGE_MODULES = {"models.py", "service.py", "flows.py", "loader.py"}
WEB_FRAMEWORKS = ("fastapi", "starlette", "uvicorn", "vitrine.web", "vitrine.cli")
STORAGE = ("sqlalchemy", "alembic", "vitrine.db")


def _imports(path: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def _capability_modules() -> Iterator[tuple[Path, str]]:
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        relative = path.relative_to(PACKAGE_DIR)
        if relative.parts[0] in CAPABILITIES:
            yield path, str(relative)


def _offences(prefixes: tuple[str, ...], *, pure_only: bool) -> list[str]:
    found = []
    for path, relative in _capability_modules():
        if pure_only and (path.name in STORAGE_MODULES or path.name.endswith("_service.py")):
            continue
        found += [
            f"{relative} imports {name}" for name in _imports(path) if name.startswith(prefixes)
        ]
    return found


def test_no_capability_imports_the_web_layer_or_the_cli() -> None:
    assert _offences(WEB_FRAMEWORKS, pure_only=False) == []


def test_pure_modules_import_no_storage() -> None:
    assert _offences(STORAGE, pure_only=True) == []


def test_the_layer_check_sees_the_package() -> None:
    modules = [relative for _, relative in _capability_modules()]
    assert "catalog/importer.py" in modules
    assert "catalog/service.py" in modules

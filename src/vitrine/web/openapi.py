"""The OpenAPI document: FastAPI's, completed with what a route alone cannot say.

- 400 on every operation that takes a body: FastAPI answers it itself when the body cannot be
  read at all (bytes that are not UTF-8 JSON, a broken multipart form).
- Security requirements taken together: FastAPI lists each scheme a dependency declares as an
  alternative, but an operator call needs both its session cookie and its CSRF header.
- What this installation's settings decide: the size limits of uploaded files and the
  compartment sizes a courier may name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI

from vitrine.lockers.sizes import size_table
from vitrine.settings import Settings
from vitrine.web.schemas import Problem

UNREADABLE_BODY = {
    "description": "The body could not be read (not UTF-8 JSON, or a broken multipart form).",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
}


def install(app: FastAPI, settings: Settings) -> None:
    """Serve the completed document wherever the app serves its OpenAPI."""
    generate = app.openapi

    def document() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = complete(generate(), settings)
        return app.openapi_schema

    app.openapi = document  # type: ignore[method-assign]


def complete(spec: dict[str, Any], settings: Settings) -> dict[str, Any]:
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("Problem", Problem.model_json_schema())
    for operation in _operations(spec):
        if "requestBody" in operation:
            operation["responses"].setdefault("400", UNREADABLE_BODY)
        if len(operation.get("security", [])) > 1:
            together: dict[str, list[str]] = {
                name: [] for requirement in operation["security"] for name in requirement
            }
            operation["security"] = [together]
    _limit_uploads(schemas, settings.max_upload_bytes)
    _name_compartment_sizes(schemas, settings)
    return spec


def _operations(spec: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for path_item in spec.get("paths", {}).values():
        yield from path_item.values()


def _limit_uploads(schemas: dict[str, Any], max_bytes: int) -> None:
    """Every uploaded file: 1 byte to max_upload_bytes (an empty file is never a picture)."""

    def limit(schema: dict[str, Any]) -> None:
        if schema.get("contentMediaType") == "application/octet-stream":
            schema.update(minLength=1, maxLength=max_bytes)

    for body in schemas.values():
        if body.get("title", "").startswith("Body_"):
            _each_property(body, limit)


def _each_property(body: dict[str, Any], visit: Callable[[dict[str, Any]], None]) -> None:
    for schema in body.get("properties", {}).values():
        visit(schema)
        if isinstance(schema.get("items"), dict):
            visit(schema["items"])


def _name_compartment_sizes(schemas: dict[str, Any], settings: Settings) -> None:
    codes = [size.code for size in size_table(settings.locker_sizes)]
    size = schemas.get("DepositRequest", {}).get("properties", {}).get("size", {})
    for branch in size.get("anyOf", []):
        if branch.get("type") == "string":
            branch["enum"] = codes

"""How the JSON API refuses: the documented shape of each refusal, and the 422 a use case gives.

Every refusal body has a `detail`: a sentence for a person (`Problem`), except 422, whose
`detail` lists the fields at fault in FastAPI's own shape, whether pydantic or a use case
found the fault, so a client reads one shape per status.
"""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from vitrine.web.schemas import Problem


def refusal(description: str, **extra: Any) -> dict[str, Any]:
    """An OpenAPI response whose body is a Problem (`extra`: headers and the like)."""
    return {"model": Problem, "description": description, **extra}


RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}}
BEARER_CHALLENGE = {"WWW-Authenticate": {"description": "`Bearer`", "schema": {"type": "string"}}}

OPERATOR_REFUSALS: dict[int | str, dict[str, Any]] = {
    401: refusal("no operator session (sign in at /operator/login)"),
    403: refusal("missing or wrong X-CSRF-Token header"),
}
COURIER_REFUSALS: dict[int | str, dict[str, Any]] = {
    401: refusal("no courier token, or an unknown or revoked one", headers=BEARER_CHALLENGE),
}


FieldFault = tuple[tuple[str | int, ...], str]  # (where in the request, what is wrong)


def field_errors(*faults: FieldFault) -> JSONResponse:
    """422 for fields that only a use case can judge, shaped as FastAPI's validation errors."""
    errors = [{"type": "value_error", "loc": list(loc), "msg": message} for loc, message in faults]
    return JSONResponse({"detail": errors}, status_code=422)

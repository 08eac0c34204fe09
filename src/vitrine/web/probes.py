"""What a load balancer and Prometheus ask a server process: alive, ready, metrics."""

from __future__ import annotations

import os

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import BaseModel
from sqlalchemy.exc import SQLAlchemyError

from vitrine.db import DatabaseUnavailable, check_connection
from vitrine.installation import Installation
from vitrine.web import metrics

router = APIRouter(tags=["operations"])


class Readiness(BaseModel):
    status: str
    checks: dict[str, bool]
    process: int
    search_generation: str | None


@router.get("/healthz", summary="The process is alive (answers without touching anything).")
async def healthz() -> dict[str, str]:
    return {"status": "alive"}


@router.get(
    "/readyz",
    summary="The database answers and the search index is loaded (503 until both).",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "not ready: `checks` says what is not"}},
)
def readyz(request: Request) -> JSONResponse:
    installation: Installation = request.app.state.installation
    engine = request.app.state.search_engine
    checks = {"database": _database_answers(installation), "search_index": engine is not None}
    ready = all(checks.values())
    body = {
        "status": "ready" if ready else "not ready",
        "checks": checks,
        "process": os.getpid(),
        "search_generation": engine.generation if engine is not None else None,
    }
    return JSONResponse(body, status_code=200 if ready else 503)


def _database_answers(installation: Installation) -> bool:
    try:
        check_connection(installation.engine)
    except (DatabaseUnavailable, SQLAlchemyError):
        return False
    return True


@router.get(
    "/metrics",
    summary="Prometheus metrics of the server processes and the shop.",
    response_class=PlainTextResponse,
)
def prometheus_metrics(request: Request) -> Response:
    installation: Installation = request.app.state.installation
    return Response(metrics.render(installation.session_factory), media_type=CONTENT_TYPE_LATEST)

"""create_app(): the FastAPI application of one installation."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from vitrine import __version__
from vitrine.installation import Installation
from vitrine.web.api import catalog as catalog_api
from vitrine.web.pages import operator, shop
from vitrine.web.pages.templating import templates
from vitrine.web.security import LoginRequired

STATIC_DIR = Path(__file__).resolve().parent / "static"


def create_app(installation: Installation) -> FastAPI:
    app = FastAPI(
        title="Vitrine",
        version=__version__,
        summary="Offline-to-online showroom: photo or QR -> product -> order -> home or locker.",
        openapi_url="/api/v1/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.installation = installation
    app.include_router(catalog_api.router, prefix="/api/v1")
    app.include_router(shop.router)
    app.include_router(operator.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    _add_media_route(app, installation)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(LoginRequired, _login_required)
    return app


def _add_media_route(app: FastAPI, installation: Installation) -> None:
    @app.get("/media/{media_key:path}", include_in_schema=False)
    def media(media_key: str) -> FileResponse:
        try:
            path = installation.media.path_of(media_key)
        except KeyError as error:
            raise HTTPException(status_code=404, detail="no such image") from error
        if not path.is_file():
            raise HTTPException(status_code=404, detail="no such image")
        return FileResponse(path, headers={"Cache-Control": "public, max-age=31536000, immutable"})


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    wants_html = "text/html" in request.headers.get("accept", "")
    if request.url.path.startswith("/api/") or not wants_html:
        return JSONResponse({"detail": error.detail}, status_code=error.status_code)
    return templates.TemplateResponse(
        request,
        "error.html",
        {"status": error.status_code, "detail": error.detail, "title": "Vitrine"},
        status_code=error.status_code,
    )


async def _login_required(request: Request, error: Exception) -> Response:
    assert isinstance(error, LoginRequired)
    return operator.login_redirect(error.next_path)

"""create_app(): the FastAPI application of one installation."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.routing import iter_route_contexts
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from vitrine import __version__
from vitrine.installation import Installation
from vitrine.orders.payments import PaymentGateway
from vitrine.search.service import SearchEngine
from vitrine.web import openapi, probes
from vitrine.web.api import catalog as catalog_api
from vitrine.web.api import live as live_api
from vitrine.web.api import lockers as lockers_api
from vitrine.web.api import orders as orders_api
from vitrine.web.api import search as search_api
from vitrine.web.headers import security_headers
from vitrine.web.i18n import LANGUAGE_COOKIE, negotiate, translator
from vitrine.web.metrics import RequestTimer
from vitrine.web.pages import (
    account,
    candidate_photos,
    cart,
    console,
    dashboard,
    fulfilment,
    operator,
    operator_account,
    photo_search,
    shop,
    shopper_picks,
    tracking,
)
from vitrine.web.pages import live as live_pages
from vitrine.web.pages import live_host as live_host_pages
from vitrine.web.pages import lockers as locker_pages
from vitrine.web.pages import outbox as outbox_pages
from vitrine.web.pages.templating import templates
from vitrine.web.search_gate import SearchShedding
from vitrine.web.security import ANONYMOUS_COOKIE, LoginRequired
from vitrine.web.wiring import attach_engines, engines_router, load_search_engine

STATIC_DIR = Path(__file__).resolve().parent / "static"


def create_app(
    installation: Installation,
    gateway: PaymentGateway | None = None,
    search_engine: SearchEngine | None = None,
    *,
    serving: bool = False,
) -> FastAPI:
    """The app of one installation.

    ``serving`` (what `vitrine serve` uses): the search engine is loaded before the process
    takes traffic and follows the index generations saved by other processes; tests leave it
    off and the engine is loaded on first use.
    """
    app = FastAPI(
        lifespan=_serving_lifespan if serving else None,
        title="Vitrine",
        version=__version__,
        summary="Offline-to-online showroom: photo or QR -> product -> order -> home or locker.",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # served below from the package's own copy of Swagger UI
        redoc_url=None,
    )
    app.state.installation = installation
    attach_engines(app, installation, gateway, search_engine)
    app.include_router(probes.router)
    app.include_router(engines_router)
    app.include_router(catalog_api.router, prefix="/api/v1")
    app.include_router(live_api.router, prefix="/api/v1")
    app.include_router(lockers_api.router, prefix="/api/v1")
    app.include_router(orders_api.router, prefix="/api/v1")
    app.include_router(search_api.router, prefix="/api/v1")
    app.include_router(locker_pages.router)
    app.include_router(shop.router)
    app.include_router(cart.router)
    app.include_router(account.router)
    app.include_router(photo_search.router)
    app.include_router(shopper_picks.router)
    app.include_router(tracking.router)
    app.include_router(operator.router)
    app.include_router(operator_account.router)
    app.include_router(console.router)
    app.include_router(dashboard.router)
    app.include_router(candidate_photos.router)
    app.include_router(live_pages.router)
    app.include_router(live_host_pages.router)
    app.include_router(fulfilment.router)
    app.include_router(outbox_pages.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    _add_media_route(app, installation)
    _add_docs_route(app)
    openapi.install(app, installation.settings)
    _add_openapi_alias(app)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(LoginRequired, _login_required)
    app.middleware("http")(_visitor_cookie)
    app.add_middleware(SearchShedding)  # before the visitor cookie: a shed search costs nothing
    app.middleware("http")(security_headers(installation.settings))
    app.add_middleware(RequestTimer)
    return app


@asynccontextmanager
async def _serving_lifespan(app: FastAPI) -> AsyncIterator[None]:
    installation: Installation = app.state.installation
    # Loaded on a search thread: the ONNX Runtime threads it starts inherit their priority.
    engine = await app.state.search_workers.run(load_search_engine, app)
    engine.follow(installation.session_factory)
    try:
        yield
    finally:
        engine.stop_following()


def _add_openapi_alias(app: FastAPI) -> None:
    """The OpenAPI document also at /openapi.json, where API tools look for it first."""

    @app.get("/openapi.json", include_in_schema=False)
    def openapi_document() -> JSONResponse:
        return JSONResponse(app.openapi())


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


def _add_docs_route(app: FastAPI) -> None:
    @app.get("/docs", include_in_schema=False)
    def api_docs(request: Request) -> Response:
        """Swagger UI from /static/vendor/swagger-ui: works offline."""
        context = {"openapi_url": app.openapi_url}
        return templates.TemplateResponse(request, "api_docs.html", context)


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    headers = getattr(error, "headers", None)
    allowed = _allowed_methods(request) if error.status_code == 405 else []
    if allowed:
        headers = {**(headers or {}), "Allow": ", ".join(allowed)}
    wants_html = "text/html" in request.headers.get("accept", "")
    if request.url.path.startswith("/api/") or not wants_html:
        return JSONResponse(
            {"detail": error.detail}, status_code=error.status_code, headers=headers
        )
    settings = request.app.state.installation.settings
    language = negotiate(
        request.cookies.get(LANGUAGE_COOKIE),
        request.headers.get("accept-language"),
        settings.languages,
    )
    return templates.TemplateResponse(
        request,
        "error.html",
        {
            "status": error.status_code,
            "detail": str(error.detail),
            "title": "Vitrine",
            "t": translator(language).t,
            "lang": language,
        },
        status_code=error.status_code,
        headers=headers,
    )


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route takes at this path (Starlette names only the first route's)."""
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.router.routes):  # as FastAPI's OpenAPI reads them
        matches = getattr(route, "matches", None)
        if matches is not None and matches(request.scope)[0] != Match.NONE:
            methods |= route.methods or set()
    return sorted(methods)


async def _login_required(request: Request, error: Exception) -> Response:
    assert isinstance(error, LoginRequired)
    return operator.login_redirect(error.next_path)


async def _visitor_cookie(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """Every browser gets a random visitor id: it binds CSRF tokens and counts visits."""
    visitor = request.cookies.get(ANONYMOUS_COOKIE)
    fresh = None if visitor else secrets.token_urlsafe(24)
    request.state.visitor = visitor or fresh
    response = await call_next(request)
    if fresh:
        response.set_cookie(
            ANONYMOUS_COOKIE, fresh, max_age=365 * 24 * 3600, httponly=True, samesite="lax"
        )
    return response

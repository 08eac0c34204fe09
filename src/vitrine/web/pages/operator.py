"""Operator pages: login, logout and the console home (every page but login needs a session)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from vitrine.accounts.service import LoginRefused, authenticate
from vitrine.catalog import service as catalog
from vitrine.showrooms import service as showrooms
from vitrine.web.dependencies import InstallationDep, SessionDep
from vitrine.web.pages.templating import templates
from vitrine.web.ratelimit import RateLimiter
from vitrine.web.security import (
    SESSION_COOKIE,
    SESSION_MAX_AGE_SECONDS,
    OperatorPageDep,
    check_csrf,
    form_csrf_token,
    issue_session_cookie,
)

router = APIRouter(prefix="/operator", include_in_schema=False)
login_failures_per_client = RateLimiter(limit=10, window_seconds=600)


def _safe_next(next_path: str) -> str:
    return next_path if next_path.startswith("/operator") and "//" not in next_path else "/operator"


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _login_form(
    request: Request, installation: InstallationDep, next_path: str, error: str, status: int
) -> Response:
    context = {
        "title": "Operator login",
        "csrf_token": form_csrf_token(request),
        "next_path": _safe_next(next_path),
        "error": error,
    }
    return templates.TemplateResponse(request, "operator_login.html", context, status_code=status)


@router.get("/login", response_class=HTMLResponse)
def login_page(
    request: Request, installation: InstallationDep, next: str = "/operator"
) -> Response:
    return _login_form(request, installation, next, "", 200)


@router.post("/login")
def login(
    request: Request,
    installation: InstallationDep,
    db_session: SessionDep,
    email: Annotated[str, Form(max_length=254)],
    password: Annotated[str, Form(max_length=1024)],
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/operator",
) -> Response:
    check_csrf(request, csrf_token)
    client = _client(request)
    wait = login_failures_per_client.blocked_for(client)
    if wait > 0:
        message = f"too many failed logins from here: try again in {int(wait // 60) + 1} minutes"
        return _login_form(request, installation, next, message, 429)
    try:
        account = authenticate(
            db_session=db_session,
            email=email,
            password=password,
            now=datetime.now(UTC),
            client=client,
        )
    except LoginRefused as refused:
        db_session.commit()  # keep the failure count and lock
        login_failures_per_client.record(client)
        return _login_form(request, installation, next, str(refused), 401)
    db_session.commit()
    response = RedirectResponse(_safe_next(next), status_code=303)
    cookie = issue_session_cookie(installation.settings, account_id=account.id)
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        max_age=SESSION_MAX_AGE_SECONDS,
        httponly=True,
        samesite="lax",
        secure=installation.settings.environment == "production",
    )
    return response


@router.post("/logout")
def logout(
    request: Request, operator: OperatorPageDep, csrf_token: Annotated[str, Form()] = ""
) -> Response:
    check_csrf(request, csrf_token)
    response = RedirectResponse("/operator/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("", response_class=HTMLResponse)
def console_home(
    request: Request,
    operator: OperatorPageDep,
    installation: InstallationDep,
    db_session: SessionDep,
) -> Response:
    rows = [
        (showroom, showrooms.count_display_items(db_session=db_session, showroom=showroom))
        for showroom in showrooms.list_showrooms(db_session=db_session)
    ]
    context = {
        "title": "Operator console",
        "operator": operator,
        "showrooms": rows,
        "catalog_size": catalog.count_products(db_session=db_session),
        "csrf_token": form_csrf_token(request),
    }
    return templates.TemplateResponse(request, "operator_home.html", context)


def login_redirect(next_path: str) -> RedirectResponse:
    return RedirectResponse(f"/operator/login?next={quote(next_path)}", status_code=303)

"""Operator pages: login, logout and the console home (every page but login needs a session)."""

from __future__ import annotations

import asyncio
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from vitrine.accounts import lockout
from vitrine.accounts.service import LoginRefused, authenticate
from vitrine.accounts.session_service import end_session, start_session
from vitrine.catalog import service as catalog
from vitrine.db import utc_now
from vitrine.installation import Installation
from vitrine.showrooms import service as showrooms
from vitrine.web.dependencies import InstallationDep, SessionDep
from vitrine.web.pages.templating import templates
from vitrine.web.security import (
    DEVICE_COOKIE,
    DEVICE_MAX_AGE_SECONDS,
    SESSION_COOKIE,
    OperatorPageDep,
    check_csrf,
    cookies_secure,
    form_csrf_token,
    issue_device_cookie,
    known_device,
)
from vitrine.web.wiring import counters

router = APIRouter(prefix="/operator", include_in_schema=False)


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
async def login(
    request: Request,
    installation: InstallationDep,
    email: Annotated[str, Form(max_length=254)],
    password: Annotated[str, Form(max_length=1024)],
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/operator",
) -> Response:
    """Check a password after the wait its (account, client) pair earned; never lock anyone.

    The wait is slept on the event loop; past the cap the pair (or, for browsers the account
    never saw, the account's budget for them) is answered 429 + Retry-After at once.
    """
    check_csrf(request, csrf_token)
    settings, email = installation.settings, email.strip().lower()
    device = known_device(settings, request.cookies.get(DEVICE_COOKIE), email=email)
    client = f"device:{device}" if device else f"address:{_client(request)}"
    limits = counters(request)
    earlier = limits.used(lockout.PAIR, email, client)
    retry = limits.take(lockout.PAIR, email, client)
    if not retry and device is None:
        retry = limits.take(lockout.UNKNOWN_CLIENTS, email)
    if retry:
        message = f"too many sign-in attempts: try again in {int(retry // 60) + 1} minutes"
        if device is None:
            message += " (or from a browser you signed in with before)"
        response = _login_form(request, installation, next, message, 429)
        response.headers["Retry-After"] = str(int(retry))
        return response
    await asyncio.sleep(lockout.wait_before_check(earlier))
    try:
        token = await run_in_threadpool(
            _sign_in, installation, email, password, client, request.headers.get("user-agent", "")
        )
    except LoginRefused as refused:
        return _login_form(request, installation, next, str(refused), 401)
    limits.clear(lockout.PAIR, email, client)
    response = RedirectResponse(_safe_next(next), status_code=303)
    secure = cookies_secure(settings)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(settings.operator_session_hours * 3600),
        httponly=True,
        samesite="lax",
        secure=secure,
    )
    if device is None:
        response.set_cookie(
            DEVICE_COOKIE,
            issue_device_cookie(settings, email=email),
            max_age=DEVICE_MAX_AGE_SECONDS,
            httponly=True,
            samesite="strict",
            secure=secure,
            path="/operator/login",
        )
    return response


def _sign_in(
    installation: Installation, email: str, password: str, client: str, user_agent: str
) -> str:
    """Check the password and open a server-side session; the cookie's token."""
    with installation.session_factory() as db_session:
        try:
            account = authenticate(
                db_session=db_session, email=email, password=password, client=client
            )
            return start_session(
                db_session=db_session,
                account=account,
                client=client,
                user_agent=user_agent,
                now=utc_now(),
            )
        finally:
            db_session.commit()  # the failure count, or the new session


@router.post("/logout")
def logout(
    request: Request,
    operator: OperatorPageDep,
    db_session: SessionDep,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """End the session on the server: the old cookie opens nothing any more."""
    check_csrf(request, csrf_token)
    end_session(
        db_session=db_session,
        token=request.cookies.get(SESSION_COOKIE, ""),
        now=utc_now(),
        because="signed_out",
    )
    db_session.commit()
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

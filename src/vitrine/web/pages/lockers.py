"""The locker kiosk page: type (or scan) the pickup code, the compartment opens."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from vitrine.installation import Installation
from vitrine.lockers import site_service as sites
from vitrine.lockers.errors import PickupRefused, UnknownSite
from vitrine.lockers.models import LockerSite
from vitrine.web.api.lockers import PICKUP_STATUS, PolicyDep, open_compartment
from vitrine.web.dependencies import InstallationDep, SessionDep
from vitrine.web.i18n import LANGUAGE_COOKIE, Translator, negotiate, translator
from vitrine.web.labels import PICKUP_PROBLEMS
from vitrine.web.pages.templating import templates
from vitrine.web.security import ANONYMOUS_COOKIE, check_csrf, csrf_binding, csrf_token_for

router = APIRouter(include_in_schema=False)


def _site(db_session: SessionDep, site_id: str) -> LockerSite:
    try:
        return sites.find_site(db_session=db_session, key=site_id)
    except UnknownSite as error:
        raise HTTPException(status_code=404, detail="This locker does not exist.") from error


def words_for(request: Request, installation: InstallationDep) -> Translator:
    """The kiosk speaks the language of the phone or browser in front of it."""
    language = negotiate(
        request.cookies.get(LANGUAGE_COOKIE),
        request.headers.get("accept-language"),
        installation.settings.languages,
    )
    return translator(language)


def _kiosk(
    request: Request,
    installation: InstallationDep,
    site: LockerSite,
    *,
    opened: str = "",
    error: str = "",
    status: int = 200,
) -> Response:
    binding = csrf_binding(request)
    new_visitor = None
    if not binding:
        new_visitor = binding = secrets.token_urlsafe(24)
    words = words_for(request, installation)
    context = {
        "title": words.t("Locker %(name)s", name=site.name),
        "t": words.t,
        "lang": words.language,
        "site": site,
        "csrf_token": csrf_token_for(installation.settings, binding),
        "opened": opened,
        "error": error,
    }
    response = templates.TemplateResponse(request, "locker_kiosk.html", context, status_code=status)
    if new_visitor:
        response.set_cookie(ANONYMOUS_COOKIE, new_visitor, httponly=True, samesite="strict")
    return response


@router.get("/locker/{site_id}", response_class=HTMLResponse)
def kiosk_page(
    site_id: str, request: Request, installation: InstallationDep, db_session: SessionDep
) -> Response:
    return _kiosk(request, installation, _site(db_session, site_id))


@router.post("/locker/{site_id}", response_class=HTMLResponse)
async def kiosk_pickup(
    site_id: str,
    request: Request,
    installation: InstallationDep,
    policy: PolicyDep,
    code: Annotated[str, Form(max_length=100)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """A typed code waits (slept on the event loop) after failures; a scanned QR token never."""
    check_csrf(request, csrf_token)
    site = await run_in_threadpool(_site_in_session, installation, site_id)
    try:
        opened = await open_compartment(request, site.id, code, policy)
    except PickupRefused as refused:
        status = PICKUP_STATUS[refused.problem]
        problem = words_for(request, installation).t(
            PICKUP_PROBLEMS[refused.problem], seconds=refused.retry_after_seconds
        )
        response = _kiosk(request, installation, site, error=problem, status=status)
        if refused.retry_after_seconds:
            response.headers["Retry-After"] = str(refused.retry_after_seconds)
        return response
    except UnknownSite as error:
        raise HTTPException(status_code=404, detail="This locker does not exist.") from error
    return _kiosk(request, installation, site, opened=opened.compartment)


def _site_in_session(installation: Installation, site_id: str) -> LockerSite:
    with installation.session_factory() as db_session:
        site = _site(db_session, site_id)
        db_session.expunge(site)
        return site

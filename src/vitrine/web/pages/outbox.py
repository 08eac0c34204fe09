"""The operator's outbox: messages waiting (no sender yet, or retrying), dead ones, sent ones."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from vitrine.notifications import service as outbox
from vitrine.web.dependencies import InstallationDep, SessionDep
from vitrine.web.pages.templating import templates
from vitrine.web.security import OperatorPageDep, check_csrf, form_csrf_token

router = APIRouter(prefix="/operator", include_in_schema=False)


@router.get("/outbox", response_class=HTMLResponse)
def outbox_page(
    request: Request,
    operator: OperatorPageDep,
    db_session: SessionDep,
    installation: InstallationDep,
) -> Response:
    delivery = outbox.delivery_from_settings(installation.settings)
    context = {
        "title": "Outbox",
        "operator": operator,
        "messages": outbox.recent_messages(db_session=db_session),
        "state_of": outbox.state_of,
        "channels": sorted(delivery.senders),
        "csrf_token": form_csrf_token(request),
    }
    return templates.TemplateResponse(request, "operator_outbox.html", context)


@router.post("/outbox/{message_id}/retry")
def retry_message(
    message_id: str,
    request: Request,
    operator: OperatorPageDep,
    db_session: SessionDep,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf_token)
    try:
        outbox.retry(db_session=db_session, message_id=message_id)
    except LookupError as error:
        raise HTTPException(status_code=404, detail=str(error)) from error
    return RedirectResponse("/operator/outbox", status_code=303)

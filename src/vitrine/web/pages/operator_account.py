"""An operator's own account (password change) and, for admins, every open session."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from vitrine.accounts.service import AccountError, get_operator
from vitrine.accounts.session_service import change_password, end_all_sessions, open_sessions
from vitrine.db import utc_now
from vitrine.web.dependencies import InstallationDep, SessionDep
from vitrine.web.pages.templating import templates
from vitrine.web.security import (
    AdminPageDep,
    OperatorPageDep,
    OperatorSession,
    audit,
    check_csrf,
    form_csrf_token,
    session_rules,
)

router = APIRouter(prefix="/operator", include_in_schema=False)


def _page(
    request: Request,
    operator: OperatorSession,
    installation: InstallationDep,
    db_session: SessionDep,
    *,
    message: str = "",
    status: int = 200,
) -> Response:
    sessions = []
    if operator.is_admin:
        rules = session_rules(installation.settings)
        sessions = open_sessions(db_session=db_session, now=utc_now(), rules=rules)
    context = {
        "title": "Account and sessions",
        "operator": operator,
        "sessions": sessions,
        "message": message,
        "csrf_token": form_csrf_token(request),
    }
    return templates.TemplateResponse(request, "operator_account.html", context, status_code=status)


@router.get("/account", response_class=HTMLResponse)
def account_page(
    request: Request,
    operator: OperatorPageDep,
    installation: InstallationDep,
    db_session: SessionDep,
) -> Response:
    return _page(request, operator, installation, db_session)


@router.post("/password")
def new_password(
    request: Request,
    operator: OperatorPageDep,
    installation: InstallationDep,
    db_session: SessionDep,
    current: Annotated[str, Form(max_length=1024)],
    new: Annotated[str, Form(max_length=1024)],
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """A new password ends every session of the account, this one included."""
    check_csrf(request, csrf_token)
    account = get_operator(db_session=db_session, account_id=operator.account_id)
    if account is None:
        raise HTTPException(status_code=404, detail="no such account")
    try:
        change_password(
            db_session=db_session, account=account, current=current, new=new, now=utc_now()
        )
    except AccountError as refused:
        return _page(request, operator, installation, db_session, message=str(refused), status=400)
    db_session.commit()
    audit.info("password changed: %s (every session ended)", operator.email)
    return RedirectResponse("/operator/login", status_code=303)


@router.post("/accounts/{account_id}/sign-out-everywhere")
def sign_out_everywhere(
    account_id: str,
    request: Request,
    admin: AdminPageDep,
    db_session: SessionDep,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """An admin ends every session of an account (a lost phone, a leaving employee)."""
    check_csrf(request, csrf_token)
    if get_operator(db_session=db_session, account_id=account_id) is None:
        raise HTTPException(status_code=404, detail="no such account")
    ended = end_all_sessions(
        db_session=db_session, account_id=account_id, now=utc_now(), because="admin"
    )
    db_session.commit()
    audit.info("sign out everywhere: %s ended %d sessions of %s", admin.email, ended, account_id)
    return RedirectResponse("/operator/account", status_code=303)

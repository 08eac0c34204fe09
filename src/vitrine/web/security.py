"""Operator sessions (server-side, by cookie token), CSRF tokens bound to them, login checks."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import APIKeyCookie, APIKeyHeader
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from vitrine.accounts.service import get_operator
from vitrine.accounts.session_service import SessionRules, live_session
from vitrine.db import utc_now
from vitrine.settings import Settings
from vitrine.web.dependencies import SessionDep, get_installation

audit = logging.getLogger("vitrine.audit")
SESSION_COOKIE = "vitrine_operator"
DEVICE_COOKIE = "vitrine_device"
DEVICE_MAX_AGE_SECONDS = 180 * 24 * 3600
ANONYMOUS_COOKIE = "vitrine_visitor"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
# What an operator's API call carries, named for the OpenAPI document: the session cookie
# (current_operator reads it) and the CSRF header.
operator_cookie = APIKeyCookie(
    name=SESSION_COOKIE,
    scheme_name="OperatorSession",
    description="The operator's session cookie, set by signing in at /operator/login.",
    auto_error=False,
)
csrf_header = APIKeyHeader(
    name=CSRF_HEADER,
    scheme_name="CsrfToken",
    description="The CSRF token of the operator's session (the pages' `csrf_token` field).",
    auto_error=False,
)


@dataclass(frozen=True)
class OperatorSession:
    account_id: str
    email: str
    role: str
    session_id: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


class LoginRequired(Exception):
    """Raised by page dependencies: the app answers with a redirect to the login page."""

    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


def cookies_secure(settings: Settings) -> bool:
    """Cookies get `Secure` when the shop is served over https (or in production)."""
    return settings.public_url.startswith("https://") or settings.environment == "production"


def session_rules(settings: Settings) -> SessionRules:
    return SessionRules(
        idle=timedelta(minutes=settings.operator_idle_minutes),
        max_age=timedelta(hours=settings.operator_session_hours),
    )


def issue_device_cookie(settings: Settings, *, email: str) -> str:
    """Proof that this browser signed in to `email` before: it skips the unknown-client limit."""
    serializer = URLSafeTimedSerializer(settings.secret_key, salt="vitrine.operator-device")
    return serializer.dumps({"e": email.strip().lower(), "d": secrets.token_urlsafe(16)})


def known_device(settings: Settings, cookie: str | None, *, email: str) -> str | None:
    """The device id of a browser that signed in to `email` before, else None."""
    if not cookie:
        return None
    serializer = URLSafeTimedSerializer(settings.secret_key, salt="vitrine.operator-device")
    try:
        payload = serializer.loads(cookie, max_age=DEVICE_MAX_AGE_SECONDS)
    except (BadSignature, SignatureExpired):
        return None
    if not isinstance(payload, dict) or payload.get("e") != email.strip().lower():
        return None
    return str(payload.get("d", "")) or None


def csrf_token_for(settings: Settings, binding: str) -> str:
    """A CSRF token bound to one session (or one anonymous visitor cookie)."""
    key = hashlib.sha256(f"csrf:{settings.secret_key}".encode()).digest()
    return hmac.new(key, binding.encode(), hashlib.sha256).hexdigest()


def csrf_binding(request: Request) -> str:
    """What a form's CSRF token is bound to: the operator session, else the visitor cookie."""
    visitor = getattr(request.state, "visitor", None) or request.cookies.get(ANONYMOUS_COOKIE)
    return request.cookies.get(SESSION_COOKIE) or visitor or ""


def form_csrf_token(request: Request) -> str:
    return csrf_token_for(get_installation(request).settings, csrf_binding(request))


def check_csrf(request: Request, submitted: str | None) -> None:
    settings = get_installation(request).settings
    binding = csrf_binding(request)
    expected = csrf_token_for(settings, binding) if binding else ""
    if not binding or not submitted or not hmac.compare_digest(expected, submitted):
        audit.warning("refused: bad CSRF token on %s %s", request.method, request.url.path)
        raise HTTPException(status_code=403, detail="the form expired or was forged; reload it")


def current_operator(request: Request, db_session: SessionDep) -> OperatorSession | None:
    """The operator of a session cookie whose server-side session is still open."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    settings = get_installation(request).settings
    record = live_session(
        db_session=db_session, token=token, now=utc_now(), rules=session_rules(settings)
    )
    if record is None:
        return None
    account = get_operator(db_session=db_session, account_id=record.account_id)
    if account is None:
        return None
    return OperatorSession(account.id, account.email, account.role, record.id)


def require_operator_page(
    request: Request, operator: Annotated[OperatorSession | None, Depends(current_operator)]
) -> OperatorSession:
    if operator is None:
        raise LoginRequired(request.url.path)
    return operator


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def require_operator_api(
    request: Request,
    operator: Annotated[OperatorSession | None, Depends(current_operator)],
    _cookie: Annotated[str | None, Security(operator_cookie)],
    csrf_token: Annotated[str | None, Security(csrf_header)],
) -> OperatorSession:
    """An operator session; a state-changing call also needs the X-CSRF-Token header."""
    if operator is None:
        raise HTTPException(status_code=401, detail="operator login required")
    if request.method not in SAFE_METHODS:
        check_csrf(request, csrf_token)
    return operator


def require_admin_page(
    operator: Annotated[OperatorSession, Depends(require_operator_page)],
) -> OperatorSession:
    if not operator.is_admin:
        audit.warning("refused: %s (staff) tried an admin action", operator.email)
        raise HTTPException(status_code=403, detail="this page is for administrators")
    return operator


OperatorPageDep = Annotated[OperatorSession, Depends(require_operator_page)]
OperatorApiDep = Annotated[OperatorSession, Depends(require_operator_api)]
AdminPageDep = Annotated[OperatorSession, Depends(require_admin_page)]

"""Operator sessions in signed cookies, CSRF tokens bound to them, and login requirements."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from vitrine.accounts.service import get_operator
from vitrine.settings import Settings
from vitrine.web.dependencies import SessionDep, get_installation

audit = logging.getLogger("vitrine.audit")
SESSION_COOKIE = "vitrine_operator"
DEVICE_COOKIE = "vitrine_device"
DEVICE_MAX_AGE_SECONDS = 180 * 24 * 3600
ANONYMOUS_COOKIE = "vitrine_visitor"
SESSION_MAX_AGE_SECONDS = 12 * 3600
CSRF_FIELD = "csrf_token"


@dataclass(frozen=True)
class OperatorSession:
    account_id: str
    email: str
    role: str
    nonce: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


class LoginRequired(Exception):
    """Raised by page dependencies: the app answers with a redirect to the login page."""

    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt="vitrine.operator-session")


def issue_session_cookie(settings: Settings, *, account_id: str) -> str:
    return _serializer(settings).dumps({"a": account_id, "n": secrets.token_urlsafe(16)})


def read_session_cookie(settings: Settings, cookie: str | None) -> tuple[str, str] | None:
    """(account_id, nonce) of a valid, unexpired session cookie, else None."""
    if not cookie:
        return None
    try:
        payload = _serializer(settings).loads(cookie, max_age=SESSION_MAX_AGE_SECONDS)
    except (BadSignature, SignatureExpired):
        return None
    if not isinstance(payload, dict) or not {"a", "n"} <= payload.keys():
        return None
    return str(payload["a"]), str(payload["n"])


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
    settings = get_installation(request).settings
    found = read_session_cookie(settings, request.cookies.get(SESSION_COOKIE))
    if found is None:
        return None
    account = get_operator(db_session=db_session, account_id=found[0])
    if account is None:
        return None
    return OperatorSession(account.id, account.email, account.role, found[1])


def require_operator_page(
    request: Request, operator: Annotated[OperatorSession | None, Depends(current_operator)]
) -> OperatorSession:
    if operator is None:
        raise LoginRequired(request.url.path)
    return operator


def require_operator_api(
    operator: Annotated[OperatorSession | None, Depends(current_operator)],
) -> OperatorSession:
    if operator is None:
        raise HTTPException(status_code=401, detail="operator login required")
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

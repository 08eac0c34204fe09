"""Security headers on every response, and `Secure` on every cookie when served over https.

The CSP allows scripts from this origin only (no inline script, no eval): page behaviour lives
in /static/*.js. Styles may be inline (templates carry small <style> blocks and the charts are
inline SVG). Live streams come from wherever the host's stream URL points, so media and
connections may use any http(s) origin (a browser on an https page still refuses plain http
media); hls.js runs its worker from a blob: URL.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request
from fastapi.responses import Response

from vitrine.settings import Settings

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob: https: http:",
        "connect-src 'self' https: http:",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "camera=(self), geolocation=(self), microphone=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}
HSTS = "max-age=31536000; includeSubDomains"


def served_over_https(settings: Settings, request: Request) -> bool:
    return settings.public_url.startswith("https://") or request.url.scheme == "https"


def secure_cookies(response: Response) -> None:
    """Add `Secure` to every Set-Cookie of the response that lacks it."""
    cookies = response.headers.getlist("set-cookie")
    if not cookies:
        return
    del response.headers["set-cookie"]
    for cookie in cookies:
        if "secure" not in [part.strip().lower() for part in cookie.split(";")]:
            cookie += "; Secure"
        response.headers.append("set-cookie", cookie)


def security_headers(
    settings: Settings,
) -> Callable[[Request, Callable[[Request], Awaitable[Response]]], Awaitable[Response]]:
    """The middleware: the headers above on every response, HSTS and Secure over https."""

    async def add_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if served_over_https(settings, request):
            response.headers.setdefault("Strict-Transport-Security", HSTS)
            secure_cookies(response)
        return response

    return add_headers

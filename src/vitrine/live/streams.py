"""What a stream, poster or recording URL may be: http(s) only, so no `javascript:` ever plays."""

from __future__ import annotations

from urllib.parse import urlsplit

MAX_URL_CHARS = 500


class StreamUrlRefused(ValueError):
    """The URL cannot be used (the message is for the host)."""


def clean_url(url: str, *, what: str) -> str:
    """`url` trimmed, or "" when blank; StreamUrlRefused unless it is an http(s) URL."""
    text = url.strip()
    if not text:
        return ""
    if len(text) > MAX_URL_CHARS:
        raise StreamUrlRefused(f"the {what} URL is longer than {MAX_URL_CHARS} characters")
    parts = urlsplit(text)
    if (
        parts.scheme not in ("http", "https")
        or not parts.netloc
        or any(c in text for c in " \"'<>")
    ):
        raise StreamUrlRefused(f"the {what} URL must be an http:// or https:// address")
    return text

"""Viewer comments: what a comment may be, who wrote it (a public handle), how fast one may post."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from datetime import datetime, timedelta

MAX_COMMENT_CHARS = 280
MAX_NAME_CHARS = 40
FLOOD_LIMIT = 5  # comments per viewer ...
FLOOD_WINDOW = timedelta(seconds=30)  # ... in this window


class CommentRefused(ValueError):
    """The comment is not posted (the message is for the viewer)."""


class CommentFlood(CommentRefused):
    """Too many comments from one viewer in a short time."""


class ViewerMuted(CommentRefused):
    """The host muted this viewer."""


def clean_comment(body: str) -> str:
    """The comment as stored (surrounding blanks trimmed), or CommentRefused."""
    text = body.strip()
    if not text:
        raise CommentRefused("write something first")
    if len(text) > MAX_COMMENT_CHARS:
        raise CommentRefused(f"a comment is at most {MAX_COMMENT_CHARS} characters")
    if any(ord(char) < 32 and char not in "\n\t" for char in text):
        raise CommentRefused("a comment cannot contain control characters")
    return text


def clean_name(name: str, handle: str) -> str:
    """The display name: the viewer's choice (trimmed, shortened) or one made from the handle."""
    chosen = " ".join(name.split())[:MAX_NAME_CHARS]
    return chosen or f"Viewer {handle[:4]}"


def viewer_handle(visitor: str, secret_key: str) -> str:
    """A public, stable name for a visitor cookie that does not reveal the cookie itself."""
    key = hashlib.sha256(f"live-viewer:{secret_key}".encode()).digest()
    return hmac.new(key, visitor.encode(), hashlib.sha256).hexdigest()[:16]


def flood_wait(recent: Sequence[datetime], now: datetime) -> float:
    """Seconds a viewer must wait before the next comment, given their recent comments' times."""
    window = sorted(at for at in recent if at > now - FLOOD_WINDOW)
    if len(window) < FLOOD_LIMIT:
        return 0.0
    oldest_counted = window[-FLOOD_LIMIT]
    return max(0.0, (oldest_counted + FLOOD_WINDOW - now).total_seconds())

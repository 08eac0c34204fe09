"""The pure rules: comments, deals and stream URLs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from vitrine.live.comments import (
    CommentRefused,
    clean_comment,
    clean_name,
    flood_wait,
    viewer_handle,
)
from vitrine.live.deals import ENDED, SOLD_OUT, unavailable_reason
from vitrine.live.streams import StreamUrlRefused, clean_url

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def test_comments_are_trimmed_and_bounded() -> None:
    assert clean_comment("  hello  ") == "hello"
    for bad in ("", "   ", "x" * 281, "bell\x07"):
        with pytest.raises(CommentRefused):
            clean_comment(bad)


def test_a_viewer_handle_is_stable_and_hides_the_cookie() -> None:
    handle = viewer_handle("cookie-value", "secret")
    assert handle == viewer_handle("cookie-value", "secret") != viewer_handle("other", "secret")
    assert "cookie" not in handle and len(handle) == 16
    assert clean_name("  ", handle) == f"Viewer {handle[:4]}"
    assert clean_name("Léa   M", handle) == "Léa M"


def test_the_sixth_comment_in_thirty_seconds_waits() -> None:
    recent = [NOW - timedelta(seconds=s) for s in (1, 2, 3, 4)]
    assert flood_wait(recent, NOW) == 0
    assert flood_wait([*recent, NOW - timedelta(seconds=20)], NOW) == pytest.approx(10)
    assert flood_wait([NOW - timedelta(seconds=40)] * 9, NOW) == 0


def test_why_a_deal_cannot_be_bought() -> None:
    later = NOW + timedelta(minutes=1)
    assert unavailable_reason(remaining=1, ends_at=later, session_live=True, now=NOW) is None
    assert unavailable_reason(remaining=0, ends_at=later, session_live=True, now=NOW) == SOLD_OUT
    assert unavailable_reason(remaining=1, ends_at=NOW, session_live=True, now=NOW) == ENDED
    assert unavailable_reason(remaining=1, ends_at=later, session_live=False, now=NOW) == ENDED


def test_only_http_urls_play() -> None:
    assert clean_url(" https://cdn.example.com/a.m3u8 ", what="stream") == (
        "https://cdn.example.com/a.m3u8"
    )
    assert clean_url("", what="stream") == ""
    for bad in ("javascript:alert(1)", "ftp://x/a", 'https://x/a"onerror', "https://" + "x" * 600):
        with pytest.raises(StreamUrlRefused):
            clean_url(bad, what="stream")

"""Live sessions: pins, comments, moderation and the event log viewers resume from."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from tests.live.conftest import OnAir
from vitrine.live import audience_service as audience
from vitrine.live import service as live
from vitrine.live.comments import CommentRefused
from vitrine.live.deals import DealTerms
from vitrine.live.models import LiveSession
from vitrine.live.report_service import live_report
from vitrine.live.streams import StreamUrlRefused


@contextmanager
def on_session(on_air: OnAir) -> Iterator[tuple[Session, LiveSession]]:
    with on_air.installation.session_factory() as session, session.begin():
        found = live.get_session(db_session=session, session_id=on_air.session_id)
        assert found is not None
        yield session, found


def _kinds(on_air: OnAir, after: int = 0) -> list[str]:
    with on_air.installation.session_factory() as session:
        events = live.events_since(db_session=session, session_id=on_air.session_id, after=after)
    return [event.kind for event in events]


def test_pinning_replaces_the_card_unless_it_joins_the_carousel(on_air: OnAir) -> None:
    first, second = on_air.product_ids
    with on_session(on_air) as (session, session_live):
        live.pin_product(db_session=session, live=session_live, product_id=first)
        live.pin_product(db_session=session, live=session_live, product_id=second)
        assert [c.product_id for c in live.pinned_cards(db_session=session, live=session_live)] == [
            second
        ]
        live.pin_product(db_session=session, live=session_live, product_id=first, carousel=True)
        cards = live.pinned_cards(db_session=session, live=session_live)
    assert [c.product_id for c in cards] == [second, first]
    assert _kinds(on_air) == ["state", "pins", "pins", "pins"]


def test_events_have_consecutive_sequences_to_resume_from(on_air: OnAir) -> None:
    with on_session(on_air) as (session, session_live):
        live.pin_product(db_session=session, live=session_live, product_id=on_air.product_ids[0])
        audience.post_comment(
            db_session=session, live=session_live, viewer="v1", name="Léa", body="Which sizes?"
        )
        assert live.pending_seqs(db_session=session) == {on_air.session_id: 3}
    with on_air.installation.session_factory() as session:
        events = live.events_since(db_session=session, session_id=on_air.session_id, after=1)
    assert [(e.seq, e.kind) for e in events] == [(2, "pins"), (3, "comment")]
    assert events[1].data["body"] == "Which sizes?"


def test_a_pin_before_the_session_is_live_or_of_an_unknown_product_is_refused(
    on_air: OnAir,
) -> None:
    with on_session(on_air) as (session, session_live):
        with pytest.raises(live.LiveError, match="does not exist"):
            live.pin_product(db_session=session, live=session_live, product_id="nope")
        live.end_session(db_session=session, live=session_live)
        with pytest.raises(live.LiveError, match="once the session is live"):
            live.pin_product(
                db_session=session, live=session_live, product_id=on_air.product_ids[0]
            )


def test_bad_deal_terms_are_refused(on_air: OnAir) -> None:
    soon = datetime.now(UTC) + timedelta(minutes=5)
    with on_session(on_air) as (session, session_live):
        pin = live.pin_product(
            db_session=session, live=session_live, product_id=on_air.product_ids[0]
        )
        for terms, reason in [
            (DealTerms(9999, 5, soon), "must not exceed the regular price"),
            (DealTerms(990, 0, soon), "quantity must be between"),
            (DealTerms(990, 5, datetime.now(UTC) - timedelta(seconds=1)), "in the future"),
        ]:
            with pytest.raises(live.LiveError, match=reason):
                live.set_deal(db_session=session, live=session_live, pin_id=pin.id, terms=terms)


def test_comments_with_html_are_stored_as_text_and_long_ones_are_refused(on_air: OnAir) -> None:
    with on_session(on_air) as (session, session_live):
        comment = audience.post_comment(
            db_session=session,
            live=session_live,
            viewer="v1",
            name="<b>x</b>",
            body="<script>alert(1)</script>",
        )
        assert comment.body == "<script>alert(1)</script>"  # escaped where it is rendered
        with pytest.raises(CommentRefused, match="at most 280 characters"):
            audience.post_comment(
                db_session=session, live=session_live, viewer="v1", name="", body="x" * 10_000
            )


def test_a_comment_flood_from_one_viewer_is_slowed_down_but_others_still_post(
    on_air: OnAir,
) -> None:
    with on_session(on_air) as (session, session_live):
        for n in range(5):
            audience.post_comment(
                db_session=session, live=session_live, viewer="flood", name="", body=f"spam {n}"
            )
        with pytest.raises(CommentRefused, match="slow down"):
            audience.post_comment(
                db_session=session, live=session_live, viewer="flood", name="", body="spam"
            )
        audience.post_comment(
            db_session=session, live=session_live, viewer="calm", name="", body="hi"
        )


def test_the_host_removes_a_comment_and_mutes_its_author(on_air: OnAir) -> None:
    with on_session(on_air) as (session, session_live):
        comment = audience.post_comment(
            db_session=session, live=session_live, viewer="rude", name="", body="rude words"
        )
        audience.remove_comment(db_session=session, live=session_live, comment_id=comment.id)
        audience.mute_viewer(db_session=session, live=session_live, viewer="rude")
        with pytest.raises(CommentRefused, match="muted"):
            audience.post_comment(
                db_session=session, live=session_live, viewer="rude", name="", body="again"
            )
        assert audience.recent_comments(db_session=session, live=session_live) == []
    assert _kinds(on_air, after=1) == ["comment", "comment_removed", "muted"]


def test_the_report_counts_viewers_comments_likes_and_pinned_sales(on_air: OnAir) -> None:
    deal_id = on_air.pin_with_deal(units=3)
    from vitrine.orders.flows import checkout

    assert checkout(desk=on_air.desk, request=on_air.request(on_air.cart_with_deal(deal_id))).paid
    with on_session(on_air) as (session, session_live):
        for viewer in ("a", "b", "a"):
            audience.record_viewer(db_session=session, session_id=session_live.id, viewer=viewer)
        audience.record_peak(db_session=session, session_id=session_live.id, viewers=7)
        audience.record_peak(db_session=session, session_id=session_live.id, viewers=4)
        audience.add_like(db_session=session, live=session_live)
        audience.post_comment(db_session=session, live=session_live, viewer="a", name="", body="ok")
    with on_session(on_air) as (session, session_live):
        report = live_report(db_session=session, live=session_live)
    assert (report.peak_viewers, report.total_viewers, report.comments, report.likes) == (
        7,
        2,
        1,
        1,
    )
    assert [(p.product_id, p.units_sold, p.deal_units_sold) for p in report.pins] == [
        (on_air.product_ids[0], 1, 1)
    ]


def test_stream_urls_must_be_http(on_air: OnAir) -> None:
    with on_air.installation.session_factory() as session, pytest.raises(StreamUrlRefused):
        live.create_session(
            db_session=session,
            showroom_id=on_air.showroom_id,
            title="x",
            scheduled_at=datetime.now(UTC),
            playback_url="javascript:alert(1)",
        )

"""The audience of a live session: comments and their moderation, likes, viewers."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from vitrine.db import utc_now
from vitrine.live import comments as comment_rules
from vitrine.live.models import LiveComment, LiveMute, LiveSession, LiveViewer
from vitrine.live.service import ENDED, LIVE, LiveError, append_event


def post_comment(
    *, db_session: Session, live: LiveSession, viewer: str, name: str, body: str
) -> LiveComment:
    """A viewer's comment, unless they are muted, flooding, or it is not a valid comment."""
    text = comment_rules.clean_comment(body)
    if live.state == ENDED:
        raise comment_rules.CommentRefused("this live session has ended")
    if is_muted(db_session=db_session, live=live, viewer=viewer):
        raise comment_rules.ViewerMuted("the host has muted you in this session")
    now = utc_now()
    recent = db_session.scalars(
        select(LiveComment.created_at).where(
            LiveComment.session_id == live.id,
            LiveComment.viewer == viewer,
            LiveComment.created_at > now - comment_rules.FLOOD_WINDOW,
        )
    )
    wait = comment_rules.flood_wait(list(recent), now)
    if wait > 0:
        raise comment_rules.CommentFlood(
            f"slow down: you can comment again in {int(wait) + 1} seconds"
        )
    comment = LiveComment(
        session_id=live.id,
        viewer=viewer,
        name=comment_rules.clean_name(name, viewer),
        body=text,
        created_at=now,
    )
    db_session.add(comment)
    db_session.flush()
    append_event(
        db_session=db_session, session_id=live.id, kind="comment", data=_comment_data(comment)
    )
    return comment


def _comment_data(comment: LiveComment) -> dict[str, object]:
    return {
        "id": comment.id,
        "viewer": comment.viewer,
        "name": comment.name,
        "body": comment.body,
        "at": comment.created_at.isoformat(),
    }


def recent_comments(
    *, db_session: Session, live: LiveSession, limit: int = 50
) -> list[LiveComment]:
    rows = db_session.scalars(
        select(LiveComment)
        .where(LiveComment.session_id == live.id, LiveComment.removed.is_(False))
        .order_by(LiveComment.created_at.desc(), LiveComment.id)
        .limit(limit)
    )
    return list(reversed(list(rows)))


def remove_comment(*, db_session: Session, live: LiveSession, comment_id: str) -> None:
    comment = db_session.get(LiveComment, comment_id)
    if comment is None or comment.session_id != live.id:
        raise LiveError("this comment does not exist")
    if comment.removed:
        return
    comment.removed = True
    append_event(
        db_session=db_session, session_id=live.id, kind="comment_removed", data={"id": comment.id}
    )


def mute_viewer(*, db_session: Session, live: LiveSession, viewer: str) -> None:
    if is_muted(db_session=db_session, live=live, viewer=viewer):
        return
    db_session.add(LiveMute(session_id=live.id, viewer=viewer))
    append_event(db_session=db_session, session_id=live.id, kind="muted", data={"viewer": viewer})


def is_muted(*, db_session: Session, live: LiveSession, viewer: str) -> bool:
    found = db_session.scalar(
        select(LiveMute.id).where(LiveMute.session_id == live.id, LiveMute.viewer == viewer)
    )
    return found is not None


def add_like(*, db_session: Session, live: LiveSession) -> int:
    if live.state != LIVE:
        raise LiveError("likes are for live sessions")
    likes = db_session.execute(
        update(LiveSession)
        .where(LiveSession.id == live.id)
        .values(likes=LiveSession.likes + 1)
        .returning(LiveSession.likes)
    ).scalar_one()
    append_event(db_session=db_session, session_id=live.id, kind="likes", data={"likes": likes})
    return int(likes)


def record_viewer(*, db_session: Session, session_id: str, viewer: str) -> None:
    """Count a distinct viewer of the session once (a second visit changes nothing)."""
    exists = db_session.scalar(
        select(LiveViewer.id).where(
            LiveViewer.session_id == session_id, LiveViewer.viewer == viewer
        )
    )
    if exists is not None:
        return
    try:
        with db_session.begin_nested():
            db_session.add(LiveViewer(session_id=session_id, viewer=viewer))
    except IntegrityError:
        pass  # the same viewer in two tabs at once


def record_peak(*, db_session: Session, session_id: str, viewers: int) -> None:
    db_session.execute(
        update(LiveSession)
        .where(LiveSession.id == session_id, LiveSession.peak_viewers < viewers)
        .values(peak_viewers=viewers)
    )


def count_viewers(*, db_session: Session, session_id: str) -> int:
    return int(
        db_session.scalar(
            select(func.count()).select_from(LiveViewer).where(LiveViewer.session_id == session_id)
        )
        or 0
    )

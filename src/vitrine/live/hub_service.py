"""The process's live hub, chosen from the settings: in-process, or Redis for several processes."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from vitrine.live.fanout import LiveEvent, LiveHub, LoadEvents, LocalHub
from vitrine.live.service import events_since, pending_seqs


def event_loader(session_factory: sessionmaker[Session]) -> LoadEvents:
    def load(session_id: str, after: int) -> list[LiveEvent]:
        with session_factory() as session:
            return events_since(db_session=session, session_id=session_id, after=after)

    return load


def make_hub(*, session_factory: sessionmaker[Session], redis_url: str = "") -> LiveHub:
    load = event_loader(session_factory)
    if not redis_url:
        return LocalHub(load)
    from vitrine.live.redis_hub import RedisHub

    return RedisHub(redis_url, load)


def commit_and_announce(*, db_session: Session, hub: LiveHub) -> None:
    """Commit the unit of work, then wake the viewers of every session whose log it extended."""
    db_session.commit()
    for session_id, seq in pending_seqs(db_session=db_session).items():
        hub.announce(session_id=session_id, seq=seq)

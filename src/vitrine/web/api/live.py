"""Live shopping API: a session's state for native apps, and pinning for a host's remote."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field, StrictBool

from vitrine.live import service as live
from vitrine.live.hub_service import commit_and_announce
from vitrine.live.models import LiveSession
from vitrine.web.api.responses import OPERATOR_REFUSALS, refusal
from vitrine.web.dependencies import SessionDep
from vitrine.web.security import OperatorApiDep
from vitrine.web.wiring import live_hub

router = APIRouter(tags=["live"])


class PinRead(BaseModel):
    pin_id: str
    product_id: str
    name: str
    names: dict[str, str] = Field(description="The product's name by language.")
    variant_label: str
    image: str
    price: str
    price_minor: int
    currency: str
    deal: dict[str, object] | None = Field(description="The flash deal on the pin, if any.")


class LiveSessionRead(BaseModel):
    id: str
    title: str
    state: str
    scheduled_at: datetime
    playback_url: str
    recording_url: str
    likes: int
    last_event: int = Field(description="Sequence of the last event: resume the stream after it.")
    pins: list[PinRead]
    events_url: str


class PinWrite(BaseModel):
    product_id: str = Field(max_length=64)
    carousel: StrictBool = False


def _session(db_session: SessionDep, session_id: str) -> LiveSession:
    found = live.get_session(db_session=db_session, session_id=session_id)
    if found is None:
        raise HTTPException(status_code=404, detail="no such live session")
    return found


def _read(db_session: SessionDep, session_live: LiveSession) -> LiveSessionRead:
    cards = live.pinned_cards(db_session=db_session, live=session_live)
    return LiveSessionRead(
        id=session_live.id,
        title=session_live.title,
        state=session_live.state,
        scheduled_at=session_live.scheduled_at,
        playback_url=session_live.playback_url,
        recording_url=session_live.recording_url,
        likes=session_live.likes,
        last_event=session_live.last_seq,
        pins=[PinRead.model_validate(card.as_data()) for card in cards],
        events_url=f"/live/{session_live.id}/events",
    )


NO_SESSION = refusal("no such live session")


@router.get("/live/{session_id}", response_model=LiveSessionRead, responses={404: NO_SESSION})
def get_live_session(session_id: str, db_session: SessionDep) -> LiveSessionRead:
    return _read(db_session, _session(db_session, session_id))


@router.post(
    "/live/{session_id}/pins",
    response_model=LiveSessionRead,
    status_code=201,
    responses={
        **OPERATOR_REFUSALS,
        404: NO_SESSION,
        409: refusal("the session is not live, no such product, or the carousel is full"),
    },
)
def pin_product(
    session_id: str,
    body: PinWrite,
    request: Request,
    operator: OperatorApiDep,
    db_session: SessionDep,
) -> LiveSessionRead:
    session_live = _session(db_session, session_id)
    try:
        live.pin_product(
            db_session=db_session,
            live=session_live,
            product_id=body.product_id,
            carousel=body.carousel,
        )
    except live.LiveError as error:
        raise HTTPException(status_code=409, detail=str(error)) from error
    commit_and_announce(db_session=db_session, hub=live_hub(request))
    return _read(db_session, session_live)

"""Live shopping for viewers: the session page with its event stream, comments, likes and buy."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import APIRouter, FastAPI, Form, Header, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import (
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from sqlalchemy.orm import Session

from vitrine.live import audience_service as audience
from vitrine.live import service as live
from vitrine.live.comments import CommentFlood, CommentRefused, ViewerMuted, viewer_handle
from vitrine.live.deal_service import deal_on_sale
from vitrine.live.fanout import LiveHub
from vitrine.live.hub_service import commit_and_announce
from vitrine.live.models import LiveSession
from vitrine.orders import service as orders
from vitrine.orders.offers import OfferUnavailable
from vitrine.throttling import rules
from vitrine.web.dependencies import SessionDep, get_installation
from vitrine.web.limits import client_address, over_limit
from vitrine.web.security import check_csrf
from vitrine.web.shopper import CART_COOKIE, remember, render, shopper_of
from vitrine.web.wiring import live_hub


@asynccontextmanager
async def _hub_lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    await app.state.live_hub.close()  # stops a Redis listener before the loop goes away


router = APIRouter(include_in_schema=False, lifespan=_hub_lifespan)
# Keep-alives (and viewer counts) about every 10 s, spread so a crowd that arrived together
# does not wake together.
HEARTBEAT_SECONDS = (8.0, 12.0)
Csrf = Annotated[str, Form()]


def live_or_404(db_session: Session, session_id: str) -> LiveSession:
    found = live.get_session(db_session=db_session, session_id=session_id)
    if found is None:
        raise HTTPException(status_code=404, detail="no such live session")
    return found


def _handle(request: Request) -> str:
    visitor = getattr(request.state, "visitor", "") or ""
    return viewer_handle(visitor, get_installation(request).settings.secret_key)


def _wants_json(request: Request) -> bool:
    return request.headers.get("x-requested-with") == "fetch"


def answer(request: Request, back: str, body: dict[str, object], status: int = 200) -> Response:
    if _wants_json(request):
        return JSONResponse(body, status_code=status)
    if status >= 400:
        raise HTTPException(status_code=status, detail=str(body.get("detail", "")))
    return RedirectResponse(back, status_code=303)


# --- viewers -------------------------------------------------------------------------------


@router.get("/live", response_class=HTMLResponse)
def live_sessions(request: Request, db_session: SessionDep) -> Response:
    shopper = shopper_of(request, db_session)
    sessions = live.list_sessions(db_session=db_session)
    return render(
        request,
        db_session,
        shopper,
        "live_list.html",
        {"sessions": sessions, "title": shopper.t("Live shopping")},
    )


@router.get("/live/{session_id}", response_class=HTMLResponse)
def viewer_page(session_id: str, request: Request, db_session: SessionDep) -> Response:
    session_live = live_or_404(db_session, session_id)
    handle = _handle(request)
    audience.record_viewer(db_session=db_session, session_id=session_id, viewer=handle)
    db_session.commit()
    shopper = shopper_of(request, db_session)
    context = {
        "live": session_live,
        "cards": live.pinned_cards(db_session=db_session, live=session_live),
        "comments": audience.recent_comments(db_session=db_session, live=session_live),
        "timeline": live.pin_timeline(
            db_session=db_session, live=session_live, language=shopper.language
        ),
        "handle": handle,
        "title": session_live.title,
    }
    return render(request, db_session, shopper, "live_viewer.html", context)


def _resume_point(after: int, last_event_id: str | None) -> int:
    if last_event_id and last_event_id.isdigit():
        return int(last_event_id)
    return after


async def _stream(
    request: Request, hub: LiveHub, session_id: str, after: int, *, counted: bool
) -> AsyncIterator[str]:
    feed = hub.feed(session_id)
    if counted:
        await _note_viewers(request, hub, session_id, await hub.joined(session_id))
        feed.nudge()
    try:
        sent_viewers = await hub.viewers(session_id)
        yield f"retry: 2000\n\nevent: viewers\ndata: {sent_viewers}\n\n"
        seq = after
        while True:
            # Jitter for keep-alives, not a secret (hence the S311 exemption).
            events = await feed.events_after(
                seq,
                timeout=random.uniform(*HEARTBEAT_SECONDS),  # noqa: S311
            )
            chunk = "".join(event.as_sse for event in events)
            seq = events[-1].seq if events else seq
            viewers = await hub.viewers(session_id)
            if viewers != sent_viewers:
                chunk += f"event: viewers\ndata: {viewers}\n\n"
                sent_viewers = viewers
            yield chunk or ": keep-alive\n\n"
    finally:
        if counted:
            await _note_viewers(request, hub, session_id, await hub.left(session_id), True)
            feed.nudge()


async def _note_viewers(
    request: Request, hub: LiveHub, session_id: str, viewers: int, leaving: bool = False
) -> None:
    peak = hub.feed(session_id).peak_to_store(viewers, leaving=leaving)
    if peak is None:
        return
    factory = get_installation(request).session_factory

    def store() -> None:
        with factory() as session, session.begin():
            audience.record_peak(db_session=session, session_id=session_id, viewers=peak)

    await run_in_threadpool(store)


def _exists(request: Request, session_id: str) -> bool:
    with get_installation(request).session_factory() as session:
        return live.get_session(db_session=session, session_id=session_id) is not None


def event_stream(
    request: Request, session_id: str, after: int, last_event_id: str | None, counted: bool
) -> StreamingResponse:
    stream = _stream(
        request, live_hub(request), session_id, _resume_point(after, last_event_id), counted=counted
    )
    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream, media_type="text/event-stream", headers=headers)


@router.get("/live/{session_id}/events")
async def viewer_events(
    session_id: str,
    request: Request,
    after: Annotated[int, Query(ge=0)] = 0,
    last_event_id: Annotated[str | None, Header(max_length=20)] = None,
) -> StreamingResponse:
    """Server-sent events; a reconnecting browser sends Last-Event-ID and misses nothing."""
    if not await run_in_threadpool(_exists, request, session_id):
        raise HTTPException(status_code=404, detail="no such live session")
    return event_stream(request, session_id, after, last_event_id, counted=True)


@router.post("/live/{session_id}/comments")
def post_comment(
    session_id: str,
    request: Request,
    db_session: SessionDep,
    body: Annotated[str, Form(max_length=20_000)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    csrf_token: Csrf = "",
) -> Response:
    check_csrf(request, csrf_token)
    session_live = live_or_404(db_session, session_id)
    back = f"/live/{session_id}"
    if over_limit(request, (rules.COMMENTS_PER_ADDRESS, client_address(request))):
        return answer(request, back, {"detail": "slow down: too many comments from here"}, 429)
    try:
        comment = audience.post_comment(
            db_session=db_session, live=session_live, viewer=_handle(request), name=name, body=body
        )
    except CommentRefused as refused:
        db_session.rollback()
        status = {CommentFlood: 429, ViewerMuted: 403}.get(type(refused), 422)
        return answer(request, back, {"detail": str(refused)}, status)
    commit_and_announce(db_session=db_session, hub=live_hub(request))
    return answer(request, back, {"id": comment.id}, 201)


@router.post("/live/{session_id}/likes")
def like(
    session_id: str, request: Request, db_session: SessionDep, csrf_token: Csrf = ""
) -> Response:
    check_csrf(request, csrf_token)
    session_live = live_or_404(db_session, session_id)
    handle, back = _handle(request), f"/live/{session_id}"
    if over_limit(
        request,
        (rules.LIKES_PER_VIEWER, handle),
        (rules.LIKES_PER_ADDRESS, client_address(request)),
    ):
        return answer(request, back, {"detail": "slow down: too many likes"}, 429)
    try:
        likes = audience.add_like(db_session=db_session, live=session_live)
    except live.LiveError as error:
        return answer(request, back, {"detail": str(error)}, 409)
    commit_and_announce(db_session=db_session, hub=live_hub(request))
    return answer(request, back, {"likes": likes})


@router.post("/live/{session_id}/buy")
def buy(
    session_id: str,
    request: Request,
    db_session: SessionDep,
    deal_id: Annotated[str, Form(max_length=64)],
    csrf_token: Csrf = "",
) -> Response:
    """One tap: the pinned deal goes into the cart at the live price, then the checkout opens."""
    check_csrf(request, csrf_token)
    session_live = live_or_404(db_session, session_id)
    try:
        deal = deal_on_sale(db_session=db_session, deal_id=deal_id)
        if deal.session_id != session_live.id:
            raise OfferUnavailable("this offer does not exist")
    except OfferUnavailable as unavailable:
        raise HTTPException(status_code=409, detail=str(unavailable)) from unavailable
    shopper = shopper_of(request, db_session)
    cart = orders.open_cart(
        db_session=db_session, cart_id=shopper.cart_id, showroom_id=session_live.showroom_id
    )
    orders.add_offer_to_cart(
        db_session=db_session,
        cart=cart,
        variant_id=deal.variant_id,
        offer_ref=deal.id,
        price_minor=deal.price_minor,
        quantity=1,
    )
    db_session.commit()
    response = RedirectResponse("/checkout", status_code=303)
    remember(response, CART_COOKIE, cart.id)
    return response

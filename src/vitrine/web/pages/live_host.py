"""The live host's console: start and end, pin, flash deals, moderation, and the report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Header, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from sqlalchemy.orm import Session

from vitrine.catalog import service as catalog
from vitrine.catalog.money import PriceError, parse_price
from vitrine.live import audience_service as audience
from vitrine.live import service as live
from vitrine.live.deal_service import end_deal
from vitrine.live.deals import DealTerms
from vitrine.live.hub_service import commit_and_announce
from vitrine.live.models import LiveSession
from vitrine.live.report_service import live_report
from vitrine.live.streams import StreamUrlRefused
from vitrine.orders.offers import OfferUnavailable
from vitrine.showrooms import service as showrooms
from vitrine.web.dependencies import SessionDep
from vitrine.web.pages.live import Csrf, answer, event_stream, live_or_404
from vitrine.web.pages.templating import templates
from vitrine.web.security import OperatorPageDep, check_csrf, form_csrf_token
from vitrine.web.wiring import live_hub

router = APIRouter(prefix="/operator/live", include_in_schema=False)


def _console(
    request: Request, template: str, context: dict[str, Any], status: int = 200
) -> Response:
    context = {"csrf_token": form_csrf_token(request), **context}
    return templates.TemplateResponse(request, template, context, status_code=status)


@router.get("", response_class=HTMLResponse)
def host_sessions(
    request: Request, operator: OperatorPageDep, db_session: SessionDep, error: str = ""
) -> Response:
    context = {
        "title": "Live sessions",
        "operator": operator,
        "sessions": live.list_sessions(db_session=db_session),
        "showrooms": showrooms.list_showrooms(db_session=db_session),
        "error": error,
    }
    return _console(request, "live_sessions.html", context)


@router.post("")
def create_session(
    request: Request,
    operator: OperatorPageDep,
    db_session: SessionDep,
    showroom_id: Annotated[str, Form(max_length=64)],
    title: Annotated[str, Form(max_length=300)],
    playback_url: Annotated[str, Form(max_length=1000)] = "",
    poster_url: Annotated[str, Form(max_length=1000)] = "",
    scheduled_at: Annotated[str, Form(max_length=40)] = "",
    csrf_token: Csrf = "",
) -> Response:
    check_csrf(request, csrf_token)
    if showrooms.get_showroom(db_session=db_session, showroom_id=showroom_id) is None:
        raise HTTPException(status_code=404, detail="no such showroom")
    try:
        when = datetime.fromisoformat(scheduled_at) if scheduled_at else datetime.now(UTC)
        created = live.create_session(
            db_session=db_session,
            showroom_id=showroom_id,
            title=title,
            scheduled_at=when if when.tzinfo else when.replace(tzinfo=UTC),
            playback_url=playback_url,
            poster_url=poster_url,
            created_by=operator.email,
        )
    except (ValueError, live.LiveError, StreamUrlRefused) as error:
        db_session.rollback()
        return host_sessions(request, operator, db_session, error=str(error))
    db_session.commit()
    return RedirectResponse(f"/operator/live/{created.id}", status_code=303)


@router.get("/{session_id}", response_class=HTMLResponse)
def host_console(
    session_id: str,
    request: Request,
    operator: OperatorPageDep,
    db_session: SessionDep,
    q: Annotated[str, Query(max_length=200)] = "",
    error: str = "",
) -> Response:
    session_live = live_or_404(db_session, session_id)
    found = catalog.find_products(db_session=db_session, query=q, limit=20) if q else []
    context = {
        "title": f"Host: {session_live.title}",
        "operator": operator,
        "live": session_live,
        "cards": live.pinned_cards(db_session=db_session, live=session_live),
        "comments": audience.recent_comments(db_session=db_session, live=session_live),
        "found": found,
        "query": q,
        "error": error,
        "default_ends": (datetime.now(UTC) + timedelta(minutes=10)).strftime("%H:%M"),
    }
    return _console(request, "live_host.html", context)


@router.get("/{session_id}/events")
async def host_events(
    session_id: str,
    request: Request,
    operator: OperatorPageDep,
    after: Annotated[int, Query(ge=0)] = 0,
    last_event_id: Annotated[str | None, Header(max_length=20)] = None,
) -> StreamingResponse:
    return event_stream(request, session_id, after, last_event_id, counted=False)


def _host_action(
    request: Request, db_session: Session, session_id: str, csrf_token: str
) -> LiveSession:
    check_csrf(request, csrf_token)
    return live_or_404(db_session, session_id)


def _back_to_console(request: Request, db_session: Session, session_id: str) -> Response:
    commit_and_announce(db_session=db_session, hub=live_hub(request))
    return answer(request, f"/operator/live/{session_id}", {"ok": True})


def _refused(request: Request, db_session: Session, session_id: str, error: Exception) -> Response:
    db_session.rollback()
    return answer(request, "", {"detail": str(error)}, 409)


@router.post("/{session_id}/start")
def start(
    session_id: str, request: Request, operator: OperatorPageDep, db_session: SessionDep,
    csrf_token: Csrf = "",
) -> Response:  # fmt: skip
    session_live = _host_action(request, db_session, session_id, csrf_token)
    try:
        live.start_session(db_session=db_session, live=session_live)
    except live.LiveError as error:
        return _refused(request, db_session, session_id, error)
    return _back_to_console(request, db_session, session_id)


@router.post("/{session_id}/end")
def end(
    session_id: str, request: Request, operator: OperatorPageDep, db_session: SessionDep,
    recording_url: Annotated[str, Form(max_length=1000)] = "", csrf_token: Csrf = "",
) -> Response:  # fmt: skip
    session_live = _host_action(request, db_session, session_id, csrf_token)
    try:
        live.end_session(db_session=db_session, live=session_live, recording_url=recording_url)
    except (live.LiveError, StreamUrlRefused) as error:
        return _refused(request, db_session, session_id, error)
    return _back_to_console(request, db_session, session_id)


@router.post("/{session_id}/recording")
def recording(
    session_id: str, request: Request, operator: OperatorPageDep, db_session: SessionDep,
    recording_url: Annotated[str, Form(max_length=1000)] = "", csrf_token: Csrf = "",
) -> Response:  # fmt: skip
    session_live = _host_action(request, db_session, session_id, csrf_token)
    try:
        live.set_recording(db_session=db_session, live=session_live, recording_url=recording_url)
    except StreamUrlRefused as error:
        return _refused(request, db_session, session_id, error)
    return _back_to_console(request, db_session, session_id)


@router.post("/{session_id}/pins")
def pin(
    session_id: str, request: Request, operator: OperatorPageDep, db_session: SessionDep,
    product_id: Annotated[str, Form(max_length=64)], carousel: Annotated[str, Form()] = "",
    csrf_token: Csrf = "",
) -> Response:  # fmt: skip
    session_live = _host_action(request, db_session, session_id, csrf_token)
    try:
        live.pin_product(
            db_session=db_session, live=session_live, product_id=product_id, carousel=bool(carousel)
        )
    except live.LiveError as error:
        return _refused(request, db_session, session_id, error)
    return _back_to_console(request, db_session, session_id)


@router.post("/{session_id}/pins/{pin_id}/unpin")
def unpin(
    session_id: str, pin_id: str, request: Request, operator: OperatorPageDep,
    db_session: SessionDep, csrf_token: Csrf = "",
) -> Response:  # fmt: skip
    session_live = _host_action(request, db_session, session_id, csrf_token)
    try:
        live.unpin(db_session=db_session, live=session_live, pin_id=pin_id)
    except live.LiveError as error:
        return _refused(request, db_session, session_id, error)
    return _back_to_console(request, db_session, session_id)


def _terms(price: str, currency: str, quantity: int, minutes: float) -> DealTerms:
    ends_at = datetime.now(UTC) + timedelta(minutes=minutes)
    return DealTerms(parse_price(price, currency), quantity, ends_at)


@router.post("/{session_id}/pins/{pin_id}/deal")
def deal(
    session_id: str, pin_id: str, request: Request, operator: OperatorPageDep,
    db_session: SessionDep, price: Annotated[str, Form(max_length=20)],
    quantity: Annotated[int, Form(ge=-1_000_000, le=1_000_000)],
    minutes: Annotated[float, Form(ge=-10_000, le=10_000)] = 10, csrf_token: Csrf = "",
) -> Response:  # fmt: skip
    session_live = _host_action(request, db_session, session_id, csrf_token)
    cards = {
        card.pin_id: card for card in live.pinned_cards(db_session=db_session, live=session_live)
    }
    currency = cards[pin_id].currency if pin_id in cards else "EUR"
    try:
        terms = _terms(price, currency, quantity, minutes)
        live.set_deal(db_session=db_session, live=session_live, pin_id=pin_id, terms=terms)
    except (live.LiveError, PriceError) as error:
        return _refused(request, db_session, session_id, error)
    return _back_to_console(request, db_session, session_id)


@router.post("/{session_id}/deals/{deal_id}/end")
def stop_deal(
    session_id: str, deal_id: str, request: Request, operator: OperatorPageDep,
    db_session: SessionDep, csrf_token: Csrf = "",
) -> Response:  # fmt: skip
    _host_action(request, db_session, session_id, csrf_token)
    try:
        end_deal(db_session=db_session, deal_id=deal_id, session_id=session_id)
    except OfferUnavailable as error:
        return _refused(request, db_session, session_id, error)
    return _back_to_console(request, db_session, session_id)


@router.post("/{session_id}/comments/{comment_id}/remove")
def remove_comment(
    session_id: str, comment_id: str, request: Request, operator: OperatorPageDep,
    db_session: SessionDep, csrf_token: Csrf = "",
) -> Response:  # fmt: skip
    session_live = _host_action(request, db_session, session_id, csrf_token)
    try:
        audience.remove_comment(db_session=db_session, live=session_live, comment_id=comment_id)
    except live.LiveError as error:
        return _refused(request, db_session, session_id, error)
    return _back_to_console(request, db_session, session_id)


@router.post("/{session_id}/mutes")
def mute(
    session_id: str, request: Request, operator: OperatorPageDep, db_session: SessionDep,
    viewer: Annotated[str, Form(max_length=32)], csrf_token: Csrf = "",
) -> Response:  # fmt: skip
    session_live = _host_action(request, db_session, session_id, csrf_token)
    audience.mute_viewer(db_session=db_session, live=session_live, viewer=viewer)
    return _back_to_console(request, db_session, session_id)


@router.get("/{session_id}/report", response_class=HTMLResponse)
def report(
    session_id: str, request: Request, operator: OperatorPageDep, db_session: SessionDep
) -> Response:
    session_live = live_or_404(db_session, session_id)
    figures = live_report(db_session=db_session, live=session_live)
    context = {"title": f"Report: {session_live.title}", "operator": operator, "live": session_live,
               "report": figures}  # fmt: skip
    return _console(request, "live_report.html", context)

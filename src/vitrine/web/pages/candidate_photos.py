"""Operator console: shoppers' candidate photos per product (accept or reject in one tap), the
auto-accept confidence, and "it was this product" on a kept photo the search did not recognise."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from vitrine.catalog import service as catalog
from vitrine.showrooms import candidate_service as candidates
from vitrine.showrooms import service as showrooms
from vitrine.showrooms.models import Showroom
from vitrine.web.dependencies import SessionDep
from vitrine.web.pages.console import operator_page, showroom_or_404
from vitrine.web.security import AdminPageDep, OperatorPageDep, check_csrf
from vitrine.web.wiring import review_photos, search_engine

router = APIRouter(prefix="/operator", include_in_schema=False)

MESSAGES = {
    "accepted": "Accepted: the search uses this photo now.",
    "known": "Accepted: the product already had this very photo.",
    "rejected": "Rejected: the photo is no longer a candidate.",
    "decided": "Someone decided on this photo already, or it has expired.",
    "photo_gone": "This photo is no longer kept (retention): the candidate was dropped.",
    "not_displayed": "This product is no longer on display: the candidate was dropped.",
    "auto_on": "Saved: candidates at or above this confidence are accepted automatically.",
    "auto_off": "Saved: you decide on every candidate.",
}
STATUS_OF = {"decided": 409, "photo_gone": 410, "not_displayed": 404, "photo_refused": 400}


def _teaching(request: Request) -> candidates.Teaching:
    """Blocking the first time (the search engine loads): call it from a sync route."""
    return candidates.Teaching(
        media=request.app.state.installation.media,
        photos=review_photos(request),
        engine=search_engine(request),
    )


def _back(showroom: Showroom, message: str) -> Response:
    return RedirectResponse(
        f"/operator/showrooms/{showroom.id}/candidates?done={message}", status_code=303
    )


@router.get("/showrooms/{showroom_id}/candidates", response_class=HTMLResponse)
def candidates_page(
    showroom_id: str,
    request: Request,
    operator: OperatorPageDep,
    db_session: SessionDep,
    done: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    showroom = showroom_or_404(db_session, showroom_id)
    waiting = candidates.waiting(db_session=db_session, showroom=showroom)
    names = {
        product.id: product
        for product in showrooms.displayed_products(db_session=db_session, showroom=showroom)
    }
    products = [
        (names[product_id], rows) for product_id, rows in waiting.items() if product_id in names
    ]
    threshold = showroom.auto_accept_confidence
    context = {
        "title": f"{showroom.name}: shoppers' photos",
        "operator": operator,
        "showroom": showroom,
        "products": products,
        "enrollment": catalog.enrollment_counts(db_session=db_session, showroom_id=showroom.id),
        "auto_accept_percent": None if threshold is None else round(threshold * 100),
        "retention_days": request.app.state.installation.settings.review_photo_days,
        "message": MESSAGES.get(done, ""),
    }
    return operator_page(request, "operator_candidates.html", context)


@router.post("/showrooms/{showroom_id}/candidates/{candidate_id}/accept")
def accept_candidate(
    showroom_id: str,
    candidate_id: str,
    request: Request,
    operator: OperatorPageDep,
    db_session: SessionDep,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf_token)
    showroom = showroom_or_404(db_session, showroom_id)
    try:
        added = candidates.accept(
            db_session=db_session,
            teaching=_teaching(request),
            showroom=showroom,
            candidate_id=candidate_id[:32],
            decided_by=operator.email,
        )
    except candidates.CandidateRefused as refused:
        return _back(showroom, refused.reason if refused.reason in MESSAGES else "decided")
    return _back(showroom, "accepted" if added else "known")


@router.post("/showrooms/{showroom_id}/candidates/{candidate_id}/reject")
def reject_candidate(
    showroom_id: str,
    candidate_id: str,
    request: Request,
    operator: OperatorPageDep,
    db_session: SessionDep,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf_token)
    showroom = showroom_or_404(db_session, showroom_id)
    try:
        candidates.reject(
            db_session=db_session,
            showroom=showroom,
            candidate_id=candidate_id[:32],
            decided_by=operator.email,
        )
    except candidates.CandidateRefused:
        return _back(showroom, "decided")
    return _back(showroom, "rejected")


@router.post("/showrooms/{showroom_id}/auto-accept")
def set_auto_accept(
    showroom_id: str,
    request: Request,
    operator: AdminPageDep,
    db_session: SessionDep,
    percent: Annotated[str, Form(max_length=5)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Admins only: it lets shoppers' photos into the search with nobody looking at them."""
    check_csrf(request, csrf_token)
    showroom = showroom_or_404(db_session, showroom_id)
    try:
        confidence = float(percent) / 100 if percent.strip() else None
        candidates.set_auto_accept(db_session=db_session, showroom=showroom, confidence=confidence)
    except (ValueError, candidates.CandidateRefused) as error:
        raise HTTPException(
            status_code=422, detail="a confidence from 0 to 100 %, or empty for never"
        ) from error
    return _back(showroom, "auto_off" if confidence is None else "auto_on")


@router.get("/showrooms/{showroom_id}/review-photos/{day}/{name}", response_class=HTMLResponse)
def label_page(
    showroom_id: str,
    day: str,
    name: str,
    request: Request,
    operator: OperatorPageDep,
    db_session: SessionDep,
    q: Annotated[str, Query(max_length=200)] = "",
    done: Annotated[str, Query(max_length=32)] = "",
) -> Response:
    """ "It was this product": the kept photo and a search of the displayed products."""
    showroom = showroom_or_404(db_session, showroom_id)
    key = f"{day}/{name}"
    if review_photos(request).path_of(key) is None:
        raise HTTPException(status_code=404, detail="this photo is gone (kept for a limited time)")
    shown = showrooms.displayed_product_ids(db_session=db_session, showroom=showroom)
    found = (
        catalog.find_products(db_session=db_session, query=q, product_ids=shown, limit=30)
        if q.strip()
        else []
    )
    enrolled = catalog.get_product(db_session=db_session, product_id=done) if done else None
    context = {
        "title": "It was this product",
        "operator": operator,
        "showroom": showroom,
        "photo_key": key,
        "query": q,
        "found": found,
        "enrolled": enrolled,
    }
    return operator_page(request, "operator_label_photo.html", context)


@router.post("/showrooms/{showroom_id}/review-photos/{day}/{name}")
def label_photo(
    showroom_id: str,
    day: str,
    name: str,
    request: Request,
    operator: OperatorPageDep,
    db_session: SessionDep,
    product_id: Annotated[str, Form(max_length=32)],
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf_token)
    showroom = showroom_or_404(db_session, showroom_id)
    try:
        candidates.enroll_reviewed_photo(
            db_session=db_session,
            teaching=_teaching(request),
            showroom=showroom,
            product_id=product_id,
            photo_key=f"{day}/{name}",
            decided_by=operator.email,
        )
    except candidates.CandidateRefused as refused:
        status = STATUS_OF.get(refused.reason, 400)
        raise HTTPException(status_code=status, detail=str(refused)) from refused
    return RedirectResponse(
        f"/operator/showrooms/{showroom.id}/review-photos/{day}/{name}?done={product_id}",
        status_code=303,
    )

"""A shopper's pick after a photo search: their product's page, and their photo as a candidate.

Tapping a product the photo's answer listed (or one found by name after it) says which
product the photo shows: the kept photo of that search is proposed to the operator as an
enrollment photo of it, and accepted at once when the search was sure enough for the
showroom's auto-accept confidence (after the response: the shopper never waits for it).
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, FastAPI, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from vitrine.catalog import service as catalog
from vitrine.search.first_screen import pick_confidence
from vitrine.showrooms import candidate_service as candidates
from vitrine.showrooms import service as showrooms
from vitrine.web.dependencies import InstallationDep, SessionDep
from vitrine.web.pages.photo_search import MatchedPhoto
from vitrine.web.security import check_csrf
from vitrine.web.wiring import load_search_engine, review_photos

router = APIRouter(include_in_schema=False)
log = logging.getLogger("vitrine.search")


@router.post("/s/{slug}/pick")
def pick(
    slug: str,
    request: Request,
    db_session: SessionDep,
    installation: InstallationDep,
    background: BackgroundTasks,
    product_id: Annotated[str, Form(max_length=32)],
    match_token: Annotated[str, Form(max_length=2000)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf_token)
    showroom = showrooms.get_showroom_by_slug(db_session=db_session, slug=slug)
    product = catalog.get_product(db_session=db_session, product_id=product_id)
    if showroom is None or product is None:
        raise HTTPException(status_code=404, detail="This product does not exist.")
    product_page = RedirectResponse(f"/products/{product.id}?via=photo", status_code=303)
    match = MatchedPhoto.from_signed(installation.settings.secret_key, match_token)
    if match is None:  # expired or forged: the shopper still gets their product
        return product_page
    try:
        candidate = candidates.propose(
            db_session=db_session,
            photos=review_photos(request),
            showroom=showroom,
            product_id=product.id,
            photo_key=match.search_id,
            picked_from="list" if product.id in match.product_ids else "text",
            confidence=pick_confidence(product.id, match.product_ids, match.listed),
        )
    except candidates.CandidateRefused:
        return product_page  # not on display here, or the photo is no longer kept
    threshold = showroom.auto_accept_confidence
    if threshold is not None and candidate.confidence >= threshold:
        background.add_task(_accept_if_confident, request.app, showroom.id, candidate.id)
    return product_page


def _accept_if_confident(app: FastAPI, showroom_id: str, candidate_id: str) -> None:
    """After the response; a process gone before it leaves the candidate to housekeeping."""
    installation = app.state.installation
    teaching = candidates.Teaching(
        media=installation.media, photos=app.state.review_photos, engine=load_search_engine(app)
    )
    try:
        with installation.session_factory() as session:
            showroom = showrooms.get_showroom(db_session=session, showroom_id=showroom_id)
            if showroom is not None:
                candidates.accept_if_confident(
                    db_session=session,
                    teaching=teaching,
                    showroom=showroom,
                    candidate_id=candidate_id,
                )
    except Exception:  # the candidate stays; housekeeping accepts it later
        log.exception("auto-accepting candidate photo %s failed", candidate_id)

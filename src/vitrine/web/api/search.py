"""Visual search and enrollment API: find the product in a photo; teach the search with photos."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from vitrine.catalog import service as catalog
from vitrine.search.images import ImageRejected
from vitrine.search.pipeline import FirstScreen, SearchAnswer
from vitrine.showrooms import service as showrooms
from vitrine.showrooms.enrollment_service import MAX_ENROLLMENT_PHOTOS
from vitrine.web.api.responses import OPERATOR_REFUSALS, RETRY_AFTER, refusal
from vitrine.web.dependencies import InstallationDep, SessionDep
from vitrine.web.enrollment import enroll_from_request
from vitrine.web.metrics import observe_search
from vitrine.web.presenters import media_url
from vitrine.web.search_gate import SearchBusy
from vitrine.web.security import OperatorApiDep
from vitrine.web.uploads import read_limited, read_limited_file
from vitrine.web.wiring import search_engine, search_gate, search_workers

router = APIRouter(tags=["search"])


NOT_A_PICTURE = refusal("the file is not a picture we can read (or one too large in pixels)")
TOO_LARGE = refusal("the file is larger than the upload limit")


class SearchResult(BaseModel):
    product_id: str
    sku: str
    name: str
    price: int  # minor units of `currency`, of the cheapest variant
    currency: str
    score: float
    matched_image: str | None


class SearchResponse(BaseModel):
    results: list[SearchResult]
    not_found: bool
    confidence: float
    # What to show first: one product, "is it one of these?" (the first `shortlist_size`
    # results), or "not found"; `shortlist_confidence` is the probability that they hold it.
    first_screen: FirstScreen
    shortlist_size: int
    shortlist_confidence: float
    timings_ms: dict[str, float]


class EnrollmentResponse(BaseModel):
    product_id: str
    added: int
    enrollment_photos: int


def _result(
    db_session: SessionDep, product_id: str, score: float, image_id: str
) -> SearchResult | None:
    product = catalog.get_product(db_session=db_session, product_id=product_id)
    if product is None or not product.variants:
        return None
    cheapest = min(product.variants, key=lambda v: v.price_minor)
    matched = next((image for image in product.images if image.id == image_id), None)
    return SearchResult(
        product_id=product.id,
        sku=product.sku,
        name=product.name,
        price=cheapest.price_minor,
        currency=cheapest.currency,
        score=round(score, 4),
        matched_image=media_url(matched.media_key) if matched else None,
    )


def _showroom_scope(db_session: SessionDep, showroom: str) -> set[str] | None:
    if not showroom:
        return None
    found = showrooms.get_showroom_by_slug(db_session=db_session, slug=showroom)
    if found is None:
        raise HTTPException(status_code=404, detail=f"no showroom {showroom}")
    return set(showrooms.displayed_product_ids(db_session=db_session, showroom=found))


def _response(db_session: SessionDep, answer: SearchAnswer) -> SearchResponse:
    results = [
        _result(db_session, m.product_id, m.score, m.matched_image_id) for m in answer.results
    ]
    return SearchResponse(
        results=[r for r in results if r is not None],
        not_found=answer.not_found,
        confidence=round(answer.confidence, 4),
        first_screen=answer.first_screen,
        shortlist_size=answer.shortlist_size,
        shortlist_confidence=round(answer.shortlist_confidence, 4),
        timings_ms=answer.timings_ms,
    )


@router.post(
    "/search",
    response_model=SearchResponse,
    responses={
        400: NOT_A_PICTURE,
        404: refusal("no such showroom"),
        413: TOO_LARGE,
        503: refusal(
            "too many searches at once: retry after Retry-After seconds", headers=RETRY_AFTER
        ),
    },
)
async def search(
    request: Request,
    db_session: SessionDep,
    installation: InstallationDep,
    image: Annotated[UploadFile, File(description="The shopper's photo (JPEG, PNG, WebP, GIF...)")],
    showroom: Annotated[
        str, Form(max_length=100, description="Showroom slug: search what it displays")
    ] = "",
    limit: Annotated[int, Form(ge=1, le=20)] = 5,
) -> SearchResponse:
    data = await read_limited(image, installation.settings.max_upload_bytes)
    scope = await run_in_threadpool(_showroom_scope, db_session, showroom)
    await run_in_threadpool(db_session.rollback)  # no connection held through the search
    try:
        async with search_gate(request).slot():
            workers = search_workers(request)
            engine = await workers.run(search_engine, request)
            answer = await workers.run(
                engine.search,
                data,
                showroom_product_ids=scope,
                limit=limit,
                max_bytes=installation.settings.max_upload_bytes,
            )
    except SearchBusy as busy:
        raise HTTPException(
            status_code=503,
            detail="Too many photo searches right now; try again in a moment.",
            headers={"Retry-After": str(busy.retry_after)},
        ) from busy
    except ImageRejected as rejected:
        raise HTTPException(status_code=400, detail=rejected.message) from rejected
    observe_search(answer.timings_ms)
    return await run_in_threadpool(_response, db_session, answer)


@router.post(
    "/showrooms/{slug}/products/{product_id}/enrollment",
    response_model=EnrollmentResponse,
    status_code=201,
    responses={
        **OPERATOR_REFUSALS,
        400: NOT_A_PICTURE,
        404: refusal("no such showroom, or the product is not on display there"),
        413: TOO_LARGE,
    },
)
def enroll(
    slug: str,
    product_id: str,
    request: Request,
    operator: OperatorApiDep,
    db_session: SessionDep,
    installation: InstallationDep,
    photos: Annotated[list[UploadFile], File(min_length=1, max_length=MAX_ENROLLMENT_PHOTOS)],
) -> EnrollmentResponse:
    """In-store photos of a displayed product; the next search uses them (operator session)."""
    showroom = showrooms.get_showroom_by_slug(db_session=db_session, slug=slug)
    if showroom is None or product_id not in showrooms.displayed_product_ids(
        db_session=db_session, showroom=showroom
    ):
        raise HTTPException(
            status_code=404, detail="this product is not on display in this showroom"
        )
    data = [read_limited_file(photo, installation.settings.max_upload_bytes) for photo in photos]
    added = enroll_from_request(request, db_session, showroom, product_id, data)
    counts = catalog.enrollment_counts(db_session=db_session, showroom_id=showroom.id)
    return EnrollmentResponse(
        product_id=product_id, added=added, enrollment_photos=counts.get(product_id, 0)
    )

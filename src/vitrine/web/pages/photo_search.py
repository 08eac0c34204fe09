"""The shopper's photo search page: upload, best match or short list or "not found", feedback."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from vitrine.catalog import service as catalog
from vitrine.search.first_screen import offered_products
from vitrine.search.images import ImageRejected, load_image
from vitrine.search.pipeline import SearchAnswer
from vitrine.showrooms import service as showrooms
from vitrine.showrooms.models import Showroom
from vitrine.web.dependencies import InstallationDep, SessionDep, get_installation
from vitrine.web.metrics import observe_search
from vitrine.web.presenters import product_read
from vitrine.web.search_gate import SearchBusy, busy_response
from vitrine.web.security import check_csrf
from vitrine.web.shopper import Shopper, render, shopper_of
from vitrine.web.uploads import read_limited
from vitrine.web.wiring import (
    event_recorder,
    review_photos,
    search_engine,
    search_gate,
    search_workers,
)

router = APIRouter(include_in_schema=False)


def _review_copy(data: bytes) -> bytes:
    """A small JPEG of the shopper's photo for the operator (not the 12 MP original)."""
    picture = load_image(data, max_side=640)
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()


def _visit(request: Request, db_session: Session, slug: str) -> tuple[Showroom, Shopper, list[str]]:
    showroom = showrooms.get_showroom_by_slug(db_session=db_session, slug=slug)
    if showroom is None:
        raise HTTPException(status_code=404, detail="This showroom does not exist.")
    shopper = shopper_of(request, db_session)
    return (
        showroom,
        shopper,
        showrooms.displayed_product_ids(db_session=db_session, showroom=showroom),
    )


def _answer_page(
    request: Request,
    db_session: Session,
    shopper: Shopper,
    showroom: Showroom,
    data: bytes,
    answer: SearchAnswer,
) -> Response:
    """Keeps a review copy, records the search and sends the shopper to the answer's page."""
    detail: dict[str, object] = {
        "top_product": answer.results[0].product_id if answer.results else None,
        "score": round(answer.confidence, 4),
        "not_found": answer.not_found,
        "timings_ms": answer.timings_ms,
    }
    # Kept (for a limited time) so a "not found" or a "not this one" can be reviewed.
    detail["photo_key"] = review_photos(request).keep(_review_copy(data))
    event_recorder(request).record(
        "photo_search",
        showroom_id=showroom.id,
        product_id=detail["top_product"] if not answer.not_found else None,  # type: ignore[arg-type]
        visitor=shopper.visitor,
        source="photo",
        detail=detail,
    )
    # Post/redirect/get: the answer is a page of its own, so switching language or currency
    # (or reloading) shows it again instead of repeating the POST.
    match = MatchedPhoto(
        search_id=str(detail["photo_key"]),
        product_ids=[m.product_id for m in answer.results],
        not_found=answer.not_found,
        screen=answer.first_screen,
        listed=round(answer.shortlist_confidence, 4),
    )
    secret = get_installation(request).settings.secret_key
    return RedirectResponse(f"/s/{showroom.slug}/match/{match.signed(secret)}", status_code=303)


def _refusal_page(
    request: Request,
    db_session: Session,
    shopper: Shopper,
    showroom: Showroom,
    error: str,
    status: int,
) -> Response:
    context = {
        "showroom": showroom,
        "title": shopper.t("Results"),
        "query": "",
        "answer": None,
        "products": [],
        "error": error,
    }
    return render(request, db_session, shopper, "results.html", context, status_code=status)


@router.post("/s/{slug}/photo")
async def photo_search(
    slug: str,
    request: Request,
    db_session: SessionDep,
    installation: InstallationDep,
    image: Annotated[UploadFile, File()],
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Async for the search gate; every database query, decode and file write runs off the loop."""
    check_csrf(request, csrf_token)
    showroom, shopper, shown = await run_in_threadpool(_visit, request, db_session, slug)
    # The connection goes back to the pool while the search waits and runs (seconds): 32
    # searches holding one each would starve the pool for every other page.
    await run_in_threadpool(db_session.rollback)
    data = await read_limited(image, installation.settings.max_upload_bytes)
    try:
        async with search_gate(request).slot():
            workers = search_workers(request)
            engine = await workers.run(search_engine, request)
            answer: SearchAnswer = await workers.run(
                engine.search,
                data,
                showroom_product_ids=shown,
                limit=5,
                max_bytes=installation.settings.max_upload_bytes,
            )
    except SearchBusy:  # waited its longest in the queue
        return busy_response(request.scope, showroom.slug)
    except ImageRejected as rejected:
        refused = shopper.t("This photo could not be read: %(reason)s", reason=rejected.message)
        return await run_in_threadpool(
            _refusal_page, request, db_session, shopper, showroom, refused, 400
        )
    observe_search(answer.timings_ms)
    return await run_in_threadpool(
        _answer_page, request, db_session, shopper, showroom, data, answer
    )


@dataclass(frozen=True)
class MatchedPhoto:
    """What a photo search answered, carried in the result page's (signed) address."""

    search_id: str
    product_ids: list[str]
    not_found: bool
    screen: str = "single"  # the first screen: single, shortlist or not_found
    listed: float = 0.0  # the probability that the first products hold the right one

    def signed(self, secret_key: str) -> str:
        data = {
            "s": self.search_id,
            "p": self.product_ids,
            "n": self.not_found,
            "f": self.screen,
            "l": self.listed,
        }
        return _serializer(secret_key).dumps(data)

    @classmethod
    def from_signed(cls, secret_key: str, token: str) -> MatchedPhoto | None:
        try:
            data = _serializer(secret_key).loads(token, max_age=MATCH_MAX_AGE)
        except BadData:
            return None
        not_found = bool(data["n"])
        screen = str(data.get("f") or ("not_found" if not_found else "single"))
        listed = float(data.get("l") or 0.0)
        return cls(str(data["s"]), [str(p) for p in data["p"]][:10], not_found, screen, listed)


MATCH_MAX_AGE = 7 * 24 * 3600


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt="vitrine.photo-match")


@router.get("/s/{slug}/match/{token}", response_class=HTMLResponse)
def match_page(
    slug: str,
    token: str,
    request: Request,
    db_session: SessionDep,
    installation: InstallationDep,
    wrong: Annotated[str, Query(max_length=32)] = "",
) -> Response:
    """The answer to a photo: the best match, a short list, or "not found" with similar products.
    After "Not this one?" (`wrong`), the thanks and the other candidates of the same photo.
    Listed products are picks: tapping one teaches the search (shopper_picks.py)."""
    showroom = showrooms.get_showroom_by_slug(db_session=db_session, slug=slug)
    if showroom is None:
        raise HTTPException(status_code=404, detail="This showroom does not exist.")
    match = MatchedPhoto.from_signed(installation.settings.secret_key, token[:2000])
    if match is None:
        return RedirectResponse(f"/s/{slug}", status_code=303)  # expired or forged: start again
    shopper = shopper_of(request, db_session)
    products = [catalog.get_product(db_session=db_session, product_id=p) for p in match.product_ids]
    reads = [product_read(p, shopper.language) for p in products if p is not None]
    # "Is it one of these?": the likely products, no verdict; "not found": similar products.
    offered = offered_products(match.screen, [read.id for read in reads], wrong=wrong)
    best = reads[0] if match.screen == "single" and reads and not wrong else None
    others = [read for read in reads if read.id in offered]
    context = {
        "showroom": showroom,
        "title": shopper.t("Results"),
        "query": "",
        "answer": match,
        "best": best,
        "products": others,
        "error": "",
        "search_id": match.search_id,
        "match_token": token,
        "thanks": bool(wrong),
        "shortlist": match.screen == "shortlist" and not wrong,
        "picks": True,
    }
    return render(request, db_session, shopper, "results.html", context)


@router.post("/s/{slug}/not-this-one")
def not_this_one(
    slug: str,
    request: Request,
    db_session: SessionDep,
    installation: InstallationDep,
    product_id: Annotated[str, Form(max_length=32)],
    search_id: Annotated[str, Form(max_length=64)] = "",
    match_token: Annotated[str, Form(max_length=2000)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf_token)
    showroom = showrooms.get_showroom_by_slug(db_session=db_session, slug=slug)
    if showroom is None:
        raise HTTPException(status_code=404, detail="This showroom does not exist.")
    shopper = shopper_of(request, db_session)
    photo = search_id if review_photos(request).path_of(search_id) else None
    event_recorder(request).record(
        "not_this_one",
        showroom_id=showroom.id,
        product_id=product_id,
        visitor=shopper.visitor,
        detail={"photo_key": photo} if photo else {},
    )
    if MatchedPhoto.from_signed(installation.settings.secret_key, match_token) is None:
        return RedirectResponse(f"/s/{slug}?thanks=1", status_code=303)
    return RedirectResponse(
        f"/s/{slug}/match/{match_token}?{urlencode({'wrong': product_id})}", status_code=303
    )

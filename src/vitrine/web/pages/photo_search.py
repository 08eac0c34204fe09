"""The shopper's photo search page: upload, best match or short list or "not found", feedback."""

from __future__ import annotations

import io
from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from vitrine.catalog import service as catalog
from vitrine.search.images import ImageRejected, load_image
from vitrine.search.pipeline import SearchAnswer
from vitrine.showrooms import service as showrooms
from vitrine.web.dependencies import InstallationDep, SessionDep
from vitrine.web.metrics import observe_search
from vitrine.web.presenters import product_read
from vitrine.web.search_gate import SearchBusy
from vitrine.web.security import check_csrf
from vitrine.web.shopper import render, shopper_of
from vitrine.web.uploads import read_limited
from vitrine.web.wiring import event_recorder, review_photos, search_engine, search_gate

router = APIRouter(include_in_schema=False)


def _review_copy(data: bytes) -> bytes:
    """A small JPEG of the shopper's photo for the operator (not the 12 MP original)."""
    picture = load_image(data, max_side=640)
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()


@router.post("/s/{slug}/photo")
async def photo_search(
    slug: str,
    request: Request,
    db_session: SessionDep,
    installation: InstallationDep,
    image: Annotated[UploadFile, File()],
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf_token)
    showroom = showrooms.get_showroom_by_slug(db_session=db_session, slug=slug)
    if showroom is None:
        raise HTTPException(status_code=404, detail="This showroom does not exist.")
    shopper = shopper_of(request, db_session)
    data = await read_limited(image, installation.settings.max_upload_bytes)
    shown = showrooms.displayed_product_ids(db_session=db_session, showroom=showroom)
    context = {"showroom": showroom, "title": shopper.t("search.results"), "query": ""}
    try:
        async with search_gate(request).slot():
            engine = await run_in_threadpool(search_engine, request)
            answer: SearchAnswer = await run_in_threadpool(
                engine.search,
                data,
                showroom_product_ids=shown,
                limit=5,
                max_bytes=installation.settings.max_upload_bytes,
            )
    except SearchBusy as busy:
        context |= {"answer": None, "products": [], "error": shopper.t("search.busy")}
        response = render(request, db_session, shopper, "results.html", context, status_code=503)
        response.headers["Retry-After"] = str(busy.retry_after)
        return response
    except ImageRejected as rejected:
        context |= {
            "answer": None,
            "products": [],
            "error": shopper.t("search.photo_refused", reason=rejected.message),
        }
        return render(request, db_session, shopper, "results.html", context, status_code=400)
    observe_search(answer.timings_ms)
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
    products = [
        catalog.get_product(db_session=db_session, product_id=m.product_id) for m in answer.results
    ]
    reads = [product_read(p, shopper.language) for p in products if p is not None]
    best = None if answer.not_found or not reads else reads[0]
    others = reads[1:] if best else ([] if answer.not_found else reads)
    if answer.not_found:
        others = reads[:3]  # "show me similar"
    context |= {
        "answer": answer,
        "best": best,
        "products": others,
        "error": "",
        "search_id": detail["photo_key"],
    }
    return render(request, db_session, shopper, "results.html", context)


@router.post("/s/{slug}/not-this-one")
def not_this_one(
    slug: str,
    request: Request,
    db_session: SessionDep,
    product_id: Annotated[str, Form(max_length=32)],
    search_id: Annotated[str, Form(max_length=64)] = "",
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
    context = {
        "showroom": showroom,
        "title": shopper.t("search.results"),
        "query": "",
        "answer": None,
        "products": [],
        "thanks": True,
    }
    return render(request, db_session, shopper, "results.html", context)

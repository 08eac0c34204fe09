"""Operator console: showrooms, what they display, QR shelf tags and in-store enrollment photos."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from vitrine.analytics.service import confusion_counts
from vitrine.catalog import service as catalog
from vitrine.showrooms import candidate_service
from vitrine.showrooms import service as showrooms
from vitrine.showrooms.enrollment_service import MAX_ENROLLMENT_PHOTOS
from vitrine.showrooms.models import Showroom
from vitrine.showrooms.shelf_tags import TagLabel, tag_png, tag_svg, tag_url, tags_pdf
from vitrine.web.dependencies import SessionDep
from vitrine.web.enrollment import enroll_from_request
from vitrine.web.pages.templating import templates
from vitrine.web.security import AdminPageDep, OperatorPageDep, check_csrf, form_csrf_token
from vitrine.web.uploads import read_limited_file

router = APIRouter(prefix="/operator", include_in_schema=False)
MAX_SKU_FILE_BYTES = 1024 * 1024


def showroom_or_404(db_session: SessionDep, showroom_id: str) -> Showroom:
    showroom = showrooms.get_showroom(db_session=db_session, showroom_id=showroom_id)
    if showroom is None:
        raise HTTPException(status_code=404, detail="no such showroom")
    return showroom


def operator_page(
    request: Request, template: str, context: dict[str, object], status: int = 200
) -> Response:
    context = {"csrf_token": form_csrf_token(request), **context}
    return templates.TemplateResponse(request, template, context, status_code=status)


@router.post("/showrooms")
def create_showroom(
    request: Request,
    operator: AdminPageDep,
    db_session: SessionDep,
    slug: Annotated[str, Form(max_length=63)],
    name: Annotated[str, Form(max_length=200)],
    address: Annotated[str, Form(max_length=300)] = "",
    currency: Annotated[str, Form(max_length=3)] = "EUR",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf_token)
    try:
        showroom = showrooms.create_showroom(
            db_session=db_session,
            slug=slug.strip().lower(),
            name=name.strip(),
            currency=currency.upper(),
            address=address,
        )
    except showrooms.ShowroomError as error:
        raise HTTPException(status_code=409, detail=str(error)) from error
    db_session.commit()
    return RedirectResponse(f"/operator/showrooms/{showroom.id}", status_code=303)


def _showroom_page(
    request: Request,
    operator: OperatorPageDep,
    db_session: SessionDep,
    showroom: Showroom,
    query: str,
    message: str,
    status: int,
) -> Response:
    displayed = showrooms.displayed_products(db_session=db_session, showroom=showroom)
    shown_ids = {p.id for p in displayed}
    candidates = (
        [
            p
            for p in catalog.find_products(db_session=db_session, query=query, limit=30)
            if p.id not in shown_ids
        ]
        if query
        else []
    )
    return operator_page(
        request,
        "operator_showroom.html",
        {
            "title": showroom.name,
            "operator": operator,
            "showroom": showroom,
            "displayed": displayed,
            "enrollment": catalog.enrollment_counts(db_session=db_session, showroom_id=showroom.id),
            "confused": confusion_counts(db_session=db_session, showroom_id=showroom.id),
            "waiting_photos": candidate_service.count_waiting(
                db_session=db_session, showroom=showroom
            ),
            "candidates": candidates,
            "query": query,
            "message": message,
        },
        status,
    )


@router.get("/showrooms/{showroom_id}", response_class=HTMLResponse)
def showroom_page(
    showroom_id: str,
    request: Request,
    operator: OperatorPageDep,
    db_session: SessionDep,
    q: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    showroom = showroom_or_404(db_session, showroom_id)
    return _showroom_page(request, operator, db_session, showroom, q, "", 200)


@router.post("/showrooms/{showroom_id}/settings")
def change_showroom(
    showroom_id: str,
    request: Request,
    operator: AdminPageDep,
    db_session: SessionDep,
    name: Annotated[str, Form(max_length=200)],
    address: Annotated[str, Form(max_length=300)] = "",
    opens_on: Annotated[str, Form(max_length=10)] = "",
    closes_on: Annotated[str, Form(max_length=10)] = "",
    home_delivery_days: Annotated[str, Form(max_length=20)] = "3-5",
    locker_delivery_days: Annotated[str, Form(max_length=20)] = "2",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf_token)
    showroom = showroom_or_404(db_session, showroom_id)
    try:
        changes = showrooms.ShowroomSettings(
            name,
            address,
            _optional_date(opens_on),
            _optional_date(closes_on),
            home_delivery_days,
            locker_delivery_days,
        )
        showrooms.update_showroom(db_session=db_session, showroom=showroom, changes=changes)
    except showrooms.ShowroomError as error:
        db_session.rollback()
        return _showroom_page(request, operator, db_session, showroom, "", str(error), 400)
    db_session.commit()
    return _showroom_page(request, operator, db_session, showroom, "", "showroom saved", 200)


def _optional_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text.strip() else None
    except ValueError as error:
        raise showrooms.ShowroomError(f"{text!r} is not a date (YYYY-MM-DD)") from error


@router.post("/showrooms/{showroom_id}/display")
def add_to_display(
    showroom_id: str,
    request: Request,
    operator: OperatorPageDep,
    db_session: SessionDep,
    product_id: Annotated[list[str] | None, Form()] = None,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf_token)
    showroom = showroom_or_404(db_session, showroom_id)
    product_ids = (product_id or [])[:500]
    known = [
        pid for pid in product_ids if catalog.get_product(db_session=db_session, product_id=pid)
    ]
    if len(known) != len(product_ids):
        return _showroom_page(
            request, operator, db_session, showroom, "", "unknown product: nothing was added", 404
        )
    added = showrooms.put_on_display(db_session=db_session, showroom=showroom, product_ids=known)
    db_session.commit()
    return _showroom_page(
        request, operator, db_session, showroom, "", f"{added} products put on display", 200
    )


@router.post("/showrooms/{showroom_id}/display/skus")
def add_skus_to_display(
    showroom_id: str,
    request: Request,
    operator: OperatorPageDep,
    db_session: SessionDep,
    skus_file: Annotated[UploadFile, File()],
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf_token)
    showroom = showroom_or_404(db_session, showroom_id)
    data = skus_file.file.read(MAX_SKU_FILE_BYTES + 1)
    try:
        if len(data) > MAX_SKU_FILE_BYTES:
            raise showrooms.ShowroomError("the SKU file is larger than 1 MB")
        skus = _skus_from_csv(data)
        added = showrooms.display_by_skus(db_session=db_session, showroom=showroom, skus=skus)
    except showrooms.ShowroomError as error:
        db_session.rollback()
        return _showroom_page(request, operator, db_session, showroom, "", str(error), 400)
    db_session.commit()
    return _showroom_page(
        request, operator, db_session, showroom, "", f"{added} products put on display", 200
    )


def _skus_from_csv(data: bytes) -> list[str]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise showrooms.ShowroomError("the SKU file is not UTF-8 text") from error
    rows = [row for row in csv.reader(io.StringIO(text)) if row and row[0].strip()]
    if rows and rows[0][0].strip().lower() == "sku":
        rows = rows[1:]
    if not rows:
        raise showrooms.ShowroomError("the SKU file has no SKU")
    return [row[0].strip() for row in rows]


@router.post("/showrooms/{showroom_id}/display/{product_id}/remove")
def remove_from_display(
    showroom_id: str,
    product_id: str,
    request: Request,
    operator: OperatorPageDep,
    db_session: SessionDep,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf_token)
    showroom = showroom_or_404(db_session, showroom_id)
    showrooms.remove_from_display(db_session=db_session, showroom=showroom, product_id=product_id)
    db_session.commit()
    return RedirectResponse(f"/operator/showrooms/{showroom.id}", status_code=303)


def _public_url(request: Request) -> str:
    configured = request.app.state.installation.settings.public_url
    return str(configured or request.base_url).rstrip("/")


@router.get("/showrooms/{showroom_id}/tags.pdf")
def shelf_tags_pdf(
    showroom_id: str, request: Request, operator: OperatorPageDep, db_session: SessionDep
) -> Response:
    showroom = showroom_or_404(db_session, showroom_id)
    base = _public_url(request)
    labels = [
        TagLabel(product.name, tag.code, tag_url(base, tag.code))
        for tag, product in showrooms.shelf_tags_of(db_session=db_session, showroom=showroom)
    ]
    db_session.commit()
    headers = {"Content-Disposition": f'attachment; filename="shelf-tags-{showroom.slug}.pdf"'}
    return Response(tags_pdf(labels, showroom.name), media_type="application/pdf", headers=headers)


@router.get("/showrooms/{showroom_id}/tags/{code}.{kind}")
def shelf_tag_image(
    showroom_id: str,
    code: str,
    kind: str,
    request: Request,
    operator: OperatorPageDep,
    db_session: SessionDep,
) -> Response:
    showroom = showroom_or_404(db_session, showroom_id)
    tag = showrooms.find_shelf_tag(db_session=db_session, code=code)
    if tag is None or tag.showroom_id != showroom.id or kind not in ("png", "svg"):
        raise HTTPException(status_code=404, detail="no such shelf tag in this showroom")
    url = tag_url(_public_url(request), tag.code)
    if kind == "png":
        return Response(tag_png(url), media_type="image/png")
    return Response(tag_svg(url), media_type="image/svg+xml")


def _display_item(db_session: SessionDep, showroom: Showroom, product_id: str) -> object:
    if product_id not in showrooms.displayed_product_ids(db_session=db_session, showroom=showroom):
        raise HTTPException(
            status_code=404, detail="this product is not on display in this showroom"
        )
    product = catalog.get_product(db_session=db_session, product_id=product_id)
    assert product is not None
    return product


def _enroll_page(
    request: Request,
    operator: OperatorPageDep,
    db_session: SessionDep,
    showroom: Showroom,
    product: object,
    message: str,
) -> Response:
    counts = catalog.enrollment_counts(db_session=db_session, showroom_id=showroom.id)
    context = {
        "title": "Teach the search",
        "operator": operator,
        "showroom": showroom,
        "product": product,
        "photos": counts.get(getattr(product, "id", ""), 0),
        "message": message,
    }
    return operator_page(request, "operator_enroll.html", context)


@router.get("/showrooms/{showroom_id}/products/{product_id}/enroll", response_class=HTMLResponse)
def enrollment_page(
    showroom_id: str,
    product_id: str,
    request: Request,
    operator: OperatorPageDep,
    db_session: SessionDep,
) -> Response:
    showroom = showroom_or_404(db_session, showroom_id)
    product = _display_item(db_session, showroom, product_id)
    return _enroll_page(request, operator, db_session, showroom, product, "")


@router.post("/showrooms/{showroom_id}/products/{product_id}/enroll")
def enroll_from_the_floor(
    showroom_id: str,
    product_id: str,
    request: Request,
    operator: OperatorPageDep,
    db_session: SessionDep,
    photos: Annotated[list[UploadFile], File()],
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf_token)
    showroom = showroom_or_404(db_session, showroom_id)
    product = _display_item(db_session, showroom, product_id)
    settings = request.app.state.installation.settings
    if not 1 <= len(photos) <= MAX_ENROLLMENT_PHOTOS:
        raise HTTPException(
            status_code=422, detail=f"send 1 to {MAX_ENROLLMENT_PHOTOS} photos at a time"
        )
    data = [read_limited_file(photo, settings.max_upload_bytes) for photo in photos]
    added = enroll_from_request(request, db_session, showroom, product_id, data)
    message = f"{added} photos added: the search uses them now"
    return _enroll_page(request, operator, db_session, showroom, product, message)

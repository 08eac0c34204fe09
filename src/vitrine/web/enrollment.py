"""Enrollment shared by the console page and the API: store in-store photos, index them at once."""

from __future__ import annotations

from fastapi import HTTPException, Request
from sqlalchemy.orm import Session

from vitrine.catalog import service as catalog
from vitrine.media import ImageRefused
from vitrine.web.wiring import search_engine

MAX_ENROLLMENT_PHOTOS = 10  # per upload, from the floor or through the API


def enroll_photos(
    request: Request, db_session: Session, product_id: str, showroom_id: str, photos: list[bytes]
) -> int:
    """Store the photos (all or none) and index them at once; shared by the page and the API."""
    installation = request.app.state.installation
    try:
        rows = catalog.add_enrollment_photos(
            db_session=db_session,
            media=installation.media,
            product_id=product_id,
            showroom_id=showroom_id,
            photos=photos,
        )
    except ImageRefused as refused:
        db_session.rollback()
        raise HTTPException(
            status_code=400, detail=f"a photo was refused, none was added: {refused}"
        ) from refused
    db_session.commit()
    engine = search_engine(request)
    unreadable = engine.add(rows)  # searchable from now on
    engine.save()
    engine.refit_later(rows)  # the new photos then refine the shop's own adapter (seconds)
    return len(rows) - len(unreadable)

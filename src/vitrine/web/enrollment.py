"""The web side of enrollment (console page and API): call the use case, map its refusals."""

from __future__ import annotations

from fastapi import HTTPException, Request
from sqlalchemy.orm import Session

from vitrine.showrooms.enrollment_service import EnrollmentRefused, enroll_photos
from vitrine.showrooms.models import Showroom
from vitrine.web.wiring import search_engine

STATUS_OF = {"not_displayed": 404, "photo_count": 422, "photo_refused": 400}


def enroll_from_request(
    request: Request, db_session: Session, showroom: Showroom, product_id: str, photos: list[bytes]
) -> int:
    """Blocking (storage, embedding): call it from the thread pool."""
    try:
        return enroll_photos(
            db_session=db_session,
            media=request.app.state.installation.media,
            engine=search_engine(request),
            showroom=showroom,
            product_id=product_id,
            photos=photos,
        )
    except EnrollmentRefused as refused:
        raise HTTPException(status_code=STATUS_OF[refused.reason], detail=str(refused)) from refused

"""Teaching the search with in-store photos of a displayed product.

One use case for the console page, the API, `vitrine search enroll` and accepted shopper photos
(candidate_service): the photos are stored (all or none), searchable when it returns, and the
shop's adapter is refitted on them (at once, or on the engine's background thread so the
operator on the floor does not wait). Without an engine (a command that serves no search) the
serving processes index them from the database within 15 s (``SearchEngine.follow``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from sqlalchemy.orm import Session

from vitrine.catalog import service as catalog
from vitrine.media import ImageRefused, MediaStore
from vitrine.showrooms.models import Showroom
from vitrine.showrooms.service import displayed_product_ids

if TYPE_CHECKING:
    from vitrine.search.service import SearchEngine

MAX_ENROLLMENT_PHOTOS = 10  # per upload, from the floor, the API or the command line


class EnrollmentRefused(ValueError):
    """Nothing was added; ``reason``: not_displayed, photo_count or photo_refused."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def enroll_photos(
    *,
    db_session: Session,
    media: MediaStore,
    engine: SearchEngine | None,
    showroom: Showroom,
    product_id: str,
    photos: list[bytes],
    refit: Literal["later", "now"] = "later",
    progress: bool = False,
) -> int:
    """Store the photos and index them; returns how many the search can use."""
    if product_id not in displayed_product_ids(db_session=db_session, showroom=showroom):
        raise EnrollmentRefused("not_displayed", "this product is not on display in this showroom")
    if not 1 <= len(photos) <= MAX_ENROLLMENT_PHOTOS:
        raise EnrollmentRefused(
            "photo_count", f"send 1 to {MAX_ENROLLMENT_PHOTOS} photos at a time"
        )
    try:
        rows = catalog.add_enrollment_photos(
            db_session=db_session,
            media=media,
            product_id=product_id,
            showroom_id=showroom.id,
            photos=photos,
        )
    except ImageRefused as refused:
        db_session.rollback()
        raise EnrollmentRefused(
            "photo_refused", f"a photo was refused, none was added: {refused}"
        ) from refused
    db_session.commit()
    if engine is None:
        return len(rows)
    unreadable = engine.add(rows)  # searchable from now on, in every process within a second
    if refit == "now":
        engine.adapt(rows, progress=progress)
    else:
        engine.refit_later(rows)
    return len(rows) - len(unreadable)

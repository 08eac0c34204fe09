"""Shoppers' photos that teach the search: a shopper's pick proposes, the operator decides.

A shopper whose photo search listed their product (or who found it by name after) tapped it:
the kept photo of that search becomes a candidate enrollment photo of the product. The
operator accepts it (it is enrolled through ``enrollment_service`` and the search uses it) or
rejects it (the candidate is deleted); above the showroom's auto-accept confidence it is
accepted without waiting. A candidate lives no longer than its photo (the review-photo
retention). The database is the truth: an accept deletes the candidate and adds the
enrollment photo in one transaction, and a candidate an auto-accept never reached (a process
gone) is accepted by ``vitrine housekeeping``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from vitrine.analytics.review_photos import ReviewPhotos
from vitrine.media import MediaStore
from vitrine.search.first_screen import PickedFrom
from vitrine.showrooms.enrollment_service import EnrollmentRefused, enroll_photos
from vitrine.showrooms.models import CandidatePhoto, Showroom
from vitrine.showrooms.service import displayed_product_ids

if TYPE_CHECKING:
    from vitrine.search.service import SearchEngine

audit = logging.getLogger("vitrine.audit")


class CandidateRefused(ValueError):
    """Nothing changed; ``reason``: not_displayed, photo_gone, decided (accepted, rejected or
    expired meanwhile), not_a_probability."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Teaching:
    """Where the accepted photos go: the product pictures and the search of this process
    (None: the serving processes index them from the database within 15 s)."""

    media: MediaStore
    photos: ReviewPhotos
    engine: SearchEngine | None = None


def propose(
    *,
    db_session: Session,
    photos: ReviewPhotos,
    showroom: Showroom,
    product_id: str,
    photo_key: str,
    picked_from: PickedFrom,
    confidence: float,
) -> CandidatePhoto:
    """The shopper's pick for their photo; a second pick of the same photo replaces the first."""
    if product_id not in displayed_product_ids(db_session=db_session, showroom=showroom):
        raise CandidateRefused("not_displayed", "this product is not on display in this showroom")
    if photos.path_of(photo_key) is None:
        raise CandidateRefused("photo_gone", "this photo is no longer kept")
    values = {
        "showroom_id": showroom.id,
        "product_id": product_id,
        "picked_from": picked_from,
        "confidence": min(1.0, max(0.0, float(confidence))),
    }
    candidate = _candidate_of_photo(db_session, photo_key)
    if candidate is None:
        try:
            with db_session.begin_nested():
                candidate = CandidatePhoto(photo_key=photo_key, **values)
                db_session.add(candidate)
        except IntegrityError:  # the same photo picked twice at once: the later pick wins
            candidate = _candidate_of_photo(db_session, photo_key)
            if candidate is None:
                raise
    for name, value in values.items():
        setattr(candidate, name, value)
    db_session.commit()
    return candidate


def _candidate_of_photo(db_session: Session, photo_key: str) -> CandidatePhoto | None:
    return db_session.scalar(select(CandidatePhoto).where(CandidatePhoto.photo_key == photo_key))


def waiting(*, db_session: Session, showroom: Showroom) -> dict[str, list[CandidatePhoto]]:
    """Candidates of the showroom by product id, the most confident first."""
    rows = db_session.scalars(
        select(CandidatePhoto)
        .where(CandidatePhoto.showroom_id == showroom.id)
        .order_by(CandidatePhoto.confidence.desc(), CandidatePhoto.created_at, CandidatePhoto.id)
    )
    by_product: dict[str, list[CandidatePhoto]] = {}
    for row in rows:
        by_product.setdefault(row.product_id, []).append(row)
    return by_product


def count_waiting(*, db_session: Session, showroom: Showroom) -> int:
    count = db_session.scalar(
        select(func.count())
        .select_from(CandidatePhoto)
        .where(CandidatePhoto.showroom_id == showroom.id)
    )
    return int(count or 0)


def accept(
    *,
    db_session: Session,
    teaching: Teaching,
    showroom: Showroom,
    candidate_id: str,
    decided_by: str,
) -> int:
    """Enroll the candidate's photo for its product; returns how many photos the search gained
    (0 when the product already had this very photo)."""
    candidate = _claim(db_session, showroom, candidate_id)
    photo = teaching.photos.path_of(candidate.photo_key)
    try:
        if photo is None:
            raise CandidateRefused("photo_gone", "this photo is no longer kept")
        # Commits the candidate's deletion with the new enrollment photo, or neither.
        added = enroll_photos(
            db_session=db_session,
            media=teaching.media,
            engine=teaching.engine,
            showroom=showroom,
            product_id=candidate.product_id,
            photos=[photo.read_bytes()],
        )
    except (CandidateRefused, EnrollmentRefused, OSError) as refused:
        # It can never be enrolled (its photo or the display item is gone): drop it.
        db_session.rollback()
        _claim(db_session, showroom, candidate_id)
        db_session.commit()
        reason = refused.reason if isinstance(refused, CandidateRefused | EnrollmentRefused) else ""
        raise CandidateRefused(reason or "photo_gone", str(refused)) from refused
    audit.info(
        "candidate photo %s accepted for product %s by %s",
        candidate_id,
        candidate.product_id,
        decided_by,
    )
    return added


def enroll_reviewed_photo(
    *,
    db_session: Session,
    teaching: Teaching,
    showroom: Showroom,
    product_id: str,
    photo_key: str,
    decided_by: str,
) -> int:
    """The operator says which product a kept photo shows ("it was this product" on a photo the
    search did not recognise): enrolled at once; a shopper's candidate of it is decided too."""
    photo = teaching.photos.path_of(photo_key)
    if photo is None:
        raise CandidateRefused("photo_gone", "this photo is no longer kept")
    db_session.execute(
        delete(CandidatePhoto).where(CandidatePhoto.photo_key == photo_key),
        execution_options={"synchronize_session": False},
    )
    try:
        added = enroll_photos(
            db_session=db_session,
            media=teaching.media,
            engine=teaching.engine,
            showroom=showroom,
            product_id=product_id,
            photos=[photo.read_bytes()],
        )
    except EnrollmentRefused as refused:
        db_session.rollback()
        raise CandidateRefused(refused.reason, str(refused)) from refused
    except OSError as error:
        db_session.rollback()
        raise CandidateRefused("photo_gone", "this photo is no longer kept") from error
    audit.info("kept photo %s enrolled for product %s by %s", photo_key, product_id, decided_by)
    return added


def reject(*, db_session: Session, showroom: Showroom, candidate_id: str, decided_by: str) -> None:
    candidate = _claim(db_session, showroom, candidate_id)
    db_session.commit()
    audit.info(
        "candidate photo %s rejected for product %s by %s",
        candidate_id,
        candidate.product_id,
        decided_by,
    )


def _claim(db_session: Session, showroom: Showroom, candidate_id: str) -> CandidatePhoto:
    """Delete the candidate (uncommitted): of two operators deciding at once, one wins."""
    candidate = db_session.scalar(
        select(CandidatePhoto).where(
            CandidatePhoto.id == candidate_id, CandidatePhoto.showroom_id == showroom.id
        )
    )
    if candidate is None:
        raise CandidateRefused("decided", "this photo was already decided on, or has expired")
    gone = db_session.execute(
        delete(CandidatePhoto).where(CandidatePhoto.id == candidate_id),
        execution_options={"synchronize_session": False},
    )
    if gone.rowcount != 1:  # type: ignore[attr-defined]
        db_session.rollback()
        raise CandidateRefused("decided", "this photo was already decided on, or has expired")
    db_session.expunge(candidate)
    return candidate


def set_auto_accept(*, db_session: Session, showroom: Showroom, confidence: float | None) -> None:
    """Accept candidates at or above ``confidence`` at once (None: the operator decides all)."""
    if confidence is not None and not 0.0 <= confidence <= 1.0:
        raise CandidateRefused("not_a_probability", "the confidence is between 0 and 1")
    showroom.auto_accept_confidence = confidence
    db_session.commit()


def accept_if_confident(
    *, db_session: Session, teaching: Teaching, showroom: Showroom, candidate_id: str
) -> bool:
    """Accept the candidate when it reaches the showroom's auto-accept confidence."""
    threshold = showroom.auto_accept_confidence
    candidate = db_session.get(CandidatePhoto, candidate_id)
    if threshold is None or candidate is None or candidate.confidence < threshold:
        return False
    try:
        accept(
            db_session=db_session,
            teaching=teaching,
            showroom=showroom,
            candidate_id=candidate_id,
            decided_by=f"auto-accept at {threshold:.2f}",
        )
    except CandidateRefused:
        return False  # decided meanwhile, or its photo is gone
    return True


def accept_confident(*, db_session: Session, teaching: Teaching) -> int:
    """Every waiting candidate at or above its showroom's auto-accept confidence (housekeeping:
    those an auto-accept never reached, and those a lowered confidence now lets in)."""
    rows = db_session.execute(
        select(CandidatePhoto.id, Showroom)
        .join(Showroom, Showroom.id == CandidatePhoto.showroom_id)
        .where(
            Showroom.auto_accept_confidence.is_not(None),
            CandidatePhoto.confidence >= Showroom.auto_accept_confidence,
        )
        .order_by(CandidatePhoto.created_at)
    ).all()
    accepted = 0
    for candidate_id, showroom in rows:
        accepted += accept_if_confident(
            db_session=db_session, teaching=teaching, showroom=showroom, candidate_id=candidate_id
        )
    return accepted


def forget_expired(*, db_session: Session, first_kept: date) -> int:
    """Delete candidates whose photo is older than the retention (photo keys start with their
    ISO day, so they sort by day)."""
    gone = db_session.execute(
        delete(CandidatePhoto).where(CandidatePhoto.photo_key < f"{first_kept.isoformat()}/")
    )
    db_session.commit()
    return int(gone.rowcount)  # type: ignore[attr-defined]

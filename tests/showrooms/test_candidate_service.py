"""Shoppers' candidate photos: a pick proposes, the operator accepts (enrolled) or rejects,
auto-accept above the showroom's confidence, retention with the kept photos."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.showrooms.conftest import Floor, shopper_photo
from vitrine.catalog.models import ProductImage
from vitrine.installation import Installation
from vitrine.showrooms import candidate_service as candidates
from vitrine.showrooms import service as showrooms
from vitrine.showrooms.models import CandidatePhoto, Showroom


def _room(session: Session, floor: Floor) -> Showroom:
    room = showrooms.get_showroom(db_session=session, showroom_id=floor.showroom_id)
    assert room is not None
    return room


def _propose(
    session: Session, floor: Floor, key: str, product: str = "A", confidence: float = 0.7
) -> CandidatePhoto:
    return candidates.propose(
        db_session=session,
        photos=floor.photos,
        showroom=_room(session, floor),
        product_id=floor.products[product],
        photo_key=key,
        picked_from="list",
        confidence=confidence,
    )


def _enrolled(session: Session, product_id: str) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(ProductImage)
            .where(ProductImage.product_id == product_id, ProductImage.source == "enrollment")
        )
        or 0
    )


def test_a_pick_proposes_the_photo_and_a_second_pick_of_it_replaces_the_first(
    db_session: Session, floor: Floor
) -> None:
    key = shopper_photo(floor)
    _propose(db_session, floor, key, "A", 0.4)
    again = _propose(db_session, floor, key, "B", 0.9)
    waiting = candidates.waiting(db_session=db_session, showroom=_room(db_session, floor))
    assert list(waiting) == [floor.products["B"]]
    assert [(c.id, c.photo_key, c.confidence) for c in waiting[floor.products["B"]]] == [
        (again.id, key, 0.9)
    ]
    assert candidates.count_waiting(db_session=db_session, showroom=_room(db_session, floor)) == 1


def test_a_pick_of_a_product_not_on_display_or_of_a_photo_gone_is_refused(
    db_session: Session, floor: Floor
) -> None:
    key = shopper_photo(floor)
    with pytest.raises(candidates.CandidateRefused) as refused:
        _propose(db_session, floor, key, "C")
    assert refused.value.reason == "not_displayed"
    with pytest.raises(candidates.CandidateRefused) as gone:
        _propose(db_session, floor, "2026-01-01/AAAAAAAAAAAAAAAAAAAAAA.jpg")
    assert gone.value.reason == "photo_gone"
    assert db_session.scalar(select(func.count()).select_from(CandidatePhoto)) == 0


def test_accepting_enrolls_the_photo_once_and_deletes_the_candidate(
    db_session: Session, floor: Floor
) -> None:
    candidate = _propose(db_session, floor, shopper_photo(floor))
    added = candidates.accept(
        db_session=db_session,
        teaching=floor.teaching,
        showroom=_room(db_session, floor),
        candidate_id=candidate.id,
        decided_by="ops@shop.fr",
    )
    assert added == 1
    assert _enrolled(db_session, floor.products["A"]) == 1
    assert candidates.waiting(db_session=db_session, showroom=_room(db_session, floor)) == {}
    with pytest.raises(candidates.CandidateRefused) as twice:
        candidates.accept(
            db_session=db_session,
            teaching=floor.teaching,
            showroom=_room(db_session, floor),
            candidate_id=candidate.id,
            decided_by="ops@shop.fr",
        )
    assert twice.value.reason == "decided"
    assert _enrolled(db_session, floor.products["A"]) == 1


def test_rejecting_deletes_the_candidate_and_enrolls_nothing(
    db_session: Session, floor: Floor
) -> None:
    candidate = _propose(db_session, floor, shopper_photo(floor))
    room = _room(db_session, floor)
    candidates.reject(
        db_session=db_session, showroom=room, candidate_id=candidate.id, decided_by="ops"
    )
    assert candidates.waiting(db_session=db_session, showroom=room) == {}
    assert _enrolled(db_session, floor.products["A"]) == 0
    with pytest.raises(candidates.CandidateRefused):
        candidates.reject(
            db_session=db_session, showroom=room, candidate_id=candidate.id, decided_by="ops"
        )


def test_a_candidate_of_another_showroom_is_not_reachable(
    db_session: Session, floor: Floor
) -> None:
    candidate = _propose(db_session, floor, shopper_photo(floor))
    other = showrooms.create_showroom(
        db_session=db_session, slug="other", name="Other", currency="EUR"
    )
    db_session.commit()
    with pytest.raises(candidates.CandidateRefused):
        candidates.reject(
            db_session=db_session, showroom=other, candidate_id=candidate.id, decided_by="ops"
        )
    assert candidates.count_waiting(db_session=db_session, showroom=_room(db_session, floor)) == 1


def test_a_candidate_whose_photo_or_display_item_is_gone_is_dropped_on_accept(
    db_session: Session, floor: Floor
) -> None:
    room = _room(db_session, floor)
    gone_photo = _propose(db_session, floor, shopper_photo(floor, 1), "A")
    (floor.photos.root / gone_photo.photo_key).unlink()
    taken_away = _propose(db_session, floor, shopper_photo(floor, 2), "B")
    showrooms.remove_from_display(
        db_session=db_session, showroom=room, product_id=floor.products["B"]
    )
    db_session.commit()
    for candidate, reason in ((gone_photo, "photo_gone"), (taken_away, "not_displayed")):
        with pytest.raises(candidates.CandidateRefused) as refused:
            candidates.accept(
                db_session=db_session,
                teaching=floor.teaching,
                showroom=room,
                candidate_id=candidate.id,
                decided_by="ops",
            )
        assert refused.value.reason == reason
    assert candidates.count_waiting(db_session=db_session, showroom=room) == 0
    assert _enrolled(db_session, floor.products["A"]) == 0


def test_auto_accept_takes_candidates_at_or_above_the_showrooms_confidence(
    db_session: Session, floor: Floor
) -> None:
    room = _room(db_session, floor)
    sure = _propose(db_session, floor, shopper_photo(floor, 1), "A", 0.9)
    unsure = _propose(db_session, floor, shopper_photo(floor, 2), "B", 0.5)
    off = candidates.accept_if_confident(
        db_session=db_session, teaching=floor.teaching, showroom=room, candidate_id=sure.id
    )
    assert off is False  # no confidence set: the operator decides every photo
    with pytest.raises(candidates.CandidateRefused):
        candidates.set_auto_accept(db_session=db_session, showroom=room, confidence=1.5)
    candidates.set_auto_accept(db_session=db_session, showroom=room, confidence=0.8)
    for candidate, accepted in ((sure, True), (unsure, False)):
        assert (
            candidates.accept_if_confident(
                db_session=db_session,
                teaching=floor.teaching,
                showroom=room,
                candidate_id=candidate.id,
            )
            is accepted
        )
    assert _enrolled(db_session, floor.products["A"]) == 1
    assert list(candidates.waiting(db_session=db_session, showroom=room)) == [floor.products["B"]]


def test_housekeeping_accepts_what_a_lowered_confidence_lets_in(
    db_session: Session, floor: Floor
) -> None:
    room = _room(db_session, floor)
    _propose(db_session, floor, shopper_photo(floor, 1), "A", 0.9)
    _propose(db_session, floor, shopper_photo(floor, 2), "B", 0.5)
    assert candidates.accept_confident(db_session=db_session, teaching=floor.teaching) == 0
    candidates.set_auto_accept(db_session=db_session, showroom=room, confidence=0.6)
    assert candidates.accept_confident(db_session=db_session, teaching=floor.teaching) == 1
    enrolled = (
        _enrolled(db_session, floor.products["A"]),
        _enrolled(db_session, floor.products["B"]),
    )
    assert enrolled == (1, 0)
    assert candidates.count_waiting(db_session=db_session, showroom=room) == 1


def test_candidates_expire_with_their_photo(db_session: Session, floor: Floor) -> None:
    now = datetime.now(UTC)
    old_key = floor.photos.keep(b"old photo", now=now - timedelta(days=31))
    (floor.photos.root / old_key).parent.mkdir(parents=True, exist_ok=True)
    old = _propose(db_session, floor, old_key, "A")
    fresh = _propose(db_session, floor, shopper_photo(floor), "B")
    first_kept = floor.photos.first_kept_day(now)
    assert candidates.forget_expired(db_session=db_session, first_kept=first_kept) == 1
    floor.photos.forget_older_than(first_kept)
    remaining = candidates.waiting(db_session=db_session, showroom=_room(db_session, floor))
    assert [c.id for rows in remaining.values() for c in rows] == [fresh.id]
    assert db_session.get(CandidatePhoto, old.id) is None
    assert floor.photos.path_of(old_key) is None


def test_it_was_this_product_enrolls_a_kept_photo_and_decides_its_candidate(
    db_session: Session, floor: Floor
) -> None:
    key = shopper_photo(floor)
    _propose(db_session, floor, key, "B", 0.2)
    added = candidates.enroll_reviewed_photo(
        db_session=db_session,
        teaching=floor.teaching,
        showroom=_room(db_session, floor),
        product_id=floor.products["A"],
        photo_key=key,
        decided_by="ops",
    )
    assert added == 1
    assert _enrolled(db_session, floor.products["A"]) == 1
    assert candidates.count_waiting(db_session=db_session, showroom=_room(db_session, floor)) == 0
    with pytest.raises(candidates.CandidateRefused) as refused:
        candidates.enroll_reviewed_photo(
            db_session=db_session,
            teaching=floor.teaching,
            showroom=_room(db_session, floor),
            product_id=floor.products["C"],
            photo_key=key,
            decided_by="ops",
        )
    assert refused.value.reason == "not_displayed"


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_two_operators_accepting_at_once_enroll_the_photo_once(
    installation: Installation, floor: Floor
) -> None:
    with installation.session_factory() as session:
        candidate_id = _propose(session, floor, shopper_photo(floor)).id
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def operator() -> None:
        with installation.session_factory() as session:
            room = _room(session, floor)
            start.wait()
            try:
                candidates.accept(
                    db_session=session,
                    teaching=floor.teaching,
                    showroom=room,
                    candidate_id=candidate_id,
                    decided_by=threading.current_thread().name,
                )
                outcomes.append("accepted")
            except candidates.CandidateRefused as refused:
                outcomes.append(refused.reason)

    threads = [threading.Thread(target=operator, name=f"ops-{n}") for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["accepted", "decided"]
    with installation.session_factory() as session:
        assert _enrolled(session, floor.products["A"]) == 1

"""Several engines (processes) on one data dir: snapshots, following, rebuild by swap."""

from __future__ import annotations

import threading
import time

import pytest

from tests.search.test_service import _cropped, _engine, drawn_product
from tests.search.test_service import products as products  # the fixture
from vitrine.catalog import service as catalog
from vitrine.installation import Installation
from vitrine.search import service as service_module
from vitrine.search.generations import GenerationStore
from vitrine.search.service import SearchEngine

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _enroll(installation: Installation, product_id: str, kind: str) -> list[catalog.ImageRow]:
    with installation.session_factory() as session:
        rows = catalog.add_enrollment_photos(
            db_session=session,
            media=installation.media,
            product_id=product_id,
            showroom_id=None,  # type: ignore[arg-type]
            photos=[_cropped(kind)],
        )
        session.commit()
    return rows


def test_a_change_made_by_another_process_is_searchable_after_refresh(
    installation: Installation, products: dict[str, str]
) -> None:
    worker_a, worker_b = _engine(installation), _engine(installation)
    assert worker_a.generation == worker_b.generation
    rows = _enroll(installation, products["tin"], "tin")
    worker_a.add(rows)
    assert len(worker_a) == 4 and len(worker_b) == 3
    assert worker_b.refresh() is True
    assert len(worker_b) == 4
    assert worker_b.generation == worker_a.generation
    assert worker_b.refresh() is False  # nothing newer


def test_concurrent_changes_from_two_processes_lose_nothing(
    installation: Installation, products: dict[str, str]
) -> None:
    worker_a, worker_b = _engine(installation), _engine(installation)
    worker_a.add(_enroll(installation, products["tin"], "tin"))
    # B has not refreshed: its change starts from A's saved generation, not from its own.
    worker_b.add(_enroll(installation, products["bottle"], "bottle"))
    assert len(worker_b) == 5
    assert (
        len(SearchEngine(index_dir=installation.settings.index_dir, media=installation.media)) == 5
    )


def test_a_following_engine_sees_another_process_change_within_five_seconds(
    installation: Installation, products: dict[str, str]
) -> None:
    follower = _engine(installation)
    follower.follow(every=0.2)
    try:
        writer = _engine(installation)
        writer.add(_enroll(installation, products["stripes"], "stripes"))
        deadline = time.monotonic() + 5
        while len(follower) != 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(follower) == 4
    finally:
        follower.stop_following()


def test_a_following_engine_catches_up_with_pictures_only_the_database_has(
    installation: Installation, products: dict[str, str]
) -> None:
    follower = _engine(installation)
    _enroll(installation, products["bottle"], "bottle")  # stored, never indexed by anyone
    assert follower.catch_up_with_database(installation.session_factory) is True
    assert len(follower) == 4
    assert follower.catch_up_with_database(installation.session_factory) is False


def test_searches_run_side_by_side_while_the_index_changes(
    installation: Installation, products: dict[str, str]
) -> None:
    engine = _engine(installation)
    failures: list[BaseException] = []
    answers: list[str] = []
    stop = threading.Event()

    def shopper() -> None:
        while not stop.is_set():
            try:
                answer = engine.search(_cropped("bottle"))
                answers.append(answer.results[0].product_id)
            except BaseException as error:  # any error in a search fails the test
                failures.append(error)

    shoppers = [threading.Thread(target=shopper) for _ in range(3)]
    for thread in shoppers:
        thread.start()
    try:
        for kind in ("tin", "stripes", "bottle"):
            rows = _enroll(installation, products[kind], kind)
            engine.add(rows)
            engine.refit_later(rows).result(timeout=60)
    finally:
        stop.set()
        for thread in shoppers:
            thread.join(timeout=30)
    assert failures == []
    assert answers and set(answers) <= set(products.values())  # every answer whole and valid
    assert len(engine) == 6
    assert engine.search(drawn_product("bottle")).results[0].product_id == products["bottle"]


def test_a_rebuild_builds_aside_and_a_crash_midway_leaves_the_index_serving(
    installation: Installation, products: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    serving = _engine(installation)
    before = serving.generation

    def crash(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt  # as a kill would stop it, midway through embedding

    rebuilding = SearchEngine(
        index_dir=installation.settings.index_dir, media=installation.media, fresh=True
    )
    with monkeypatch.context() as patched:
        patched.setattr(service_module, "embed_with_keypoints", crash)
        with installation.session_factory() as session, pytest.raises(KeyboardInterrupt):
            rebuilding.sync(db_session=session, rebuild=True)
    assert GenerationStore(installation.settings.index_dir).current() == before
    restarted = SearchEngine(index_dir=installation.settings.index_dir, media=installation.media)
    assert len(restarted) == 3  # the next start searches at once: nothing to rebuild
    assert restarted.search(_cropped("tin")).results[0].product_id == products["tin"]
    with installation.session_factory() as session:
        report = rebuilding.sync(db_session=session, rebuild=True)
    assert report.added == 3
    assert rebuilding.generation != before
    assert serving.refresh() is True
    assert serving.search(drawn_product("stripes")).results[0].product_id == products["stripes"]

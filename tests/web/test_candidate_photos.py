"""Shoppers teach the search: a pick from a photo's answer (or by name after it) proposes the
photo; operators accept or reject it in one tap; admins set the auto-accept confidence; the
dashboard's unrecognised photos get "it was this product"."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.search.test_service import _add_product, _cropped
from tests.web.conftest import csrf_of, log_in
from vitrine.accounts.service import create_operator
from vitrine.catalog.models import ProductImage
from vitrine.installation import Installation, open_installation
from vitrine.search.pipeline import PipelineConfig
from vitrine.search.service import SearchEngine
from vitrine.settings import Settings
from vitrine.showrooms import service as showrooms
from vitrine.showrooms.models import CandidatePhoto
from vitrine.web.app import create_app
from vitrine.web.pages.photo_search import MatchedPhoto

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@dataclass
class Shop:
    client: TestClient
    installation: Installation
    engine: SearchEngine
    products: dict[str, str]
    showroom_id: str


def _shop(settings: Settings, config: PipelineConfig) -> Iterator[Shop]:
    installation = open_installation(settings)
    with installation.session_factory() as session, session.begin():
        products = {
            kind: _add_product(session, installation, kind.upper(), kind)
            for kind in ("tin", "bottle", "stripes")
        }
        room = showrooms.create_showroom(
            db_session=session, slug="corner", name="Corner", currency="EUR"
        )
        showrooms.put_on_display(
            db_session=session, showroom=room, product_ids=[products["tin"], products["bottle"]]
        )
        room_id = room.id
        create_operator(
            db_session=session, email="ops@shop.fr", password="ops-pass-1", role="staff"
        )
        create_operator(
            db_session=session, email="boss@shop.fr", password="boss-pass-1", role="admin"
        )
    engine = SearchEngine(
        index_dir=installation.settings.index_dir, media=installation.media, config=config
    )
    with installation.session_factory() as session:
        engine.sync(db_session=session)
    with TestClient(create_app(installation, search_engine=engine)) as client:
        yield Shop(client, installation, engine, products, room_id)
    installation.dispose()


@pytest.fixture
def unsure(settings: Settings) -> Iterator[Shop]:
    """A search that is never sure alone: every photo gets the short list."""
    yield from _shop(settings, PipelineConfig(not_found_threshold=1.01, shortlist_threshold=0.0))


@pytest.fixture
def blind(settings: Settings) -> Iterator[Shop]:
    """A search that recognises nothing: every photo reads "not recognised"."""
    yield from _shop(settings, PipelineConfig(not_found_threshold=1.01, shortlist_threshold=1.01))


def _photo_search(shop: Shop, kind: str) -> str:
    """The answer page of a shopper's photo of ``kind``."""
    page = shop.client.post(
        "/s/corner/photo",
        files={"image": ("p.png", _cropped(kind), "image/png")},
        data={"csrf_token": csrf_of(shop.client, "/s/corner")},
    )
    assert page.status_code == 200
    return page.text


def _field(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found is not None, name
    return found.group(1)


def _candidates(shop: Shop) -> list[CandidatePhoto]:
    with shop.installation.session_factory() as session:
        return list(session.scalars(select(CandidatePhoto)))


def _enrolled(shop: Shop, product: str) -> list[str]:
    with shop.installation.session_factory() as session:
        return list(
            session.scalars(
                select(ProductImage.id).where(
                    ProductImage.product_id == shop.products[product],
                    ProductImage.source == "enrollment",
                )
            )
        )


def _pick(shop: Shop, page: str, product: str) -> None:
    response = shop.client.post(
        "/s/corner/pick",
        data={
            "csrf_token": csrf_of(shop.client, "/s/corner"),
            "match_token": _field(page, "match_token"),
            "product_id": shop.products[product],
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/products/{shop.products[product]}?via=photo"


def test_a_tap_in_the_short_list_proposes_the_photo_for_that_product(unsure: Shop) -> None:
    page = _photo_search(unsure, "bottle")
    assert 'data-testid="shortlist"' in page and 'data-testid="pick"' in page
    assert 'data-testid="pick-hint"' in page
    _pick(unsure, page, "bottle")
    [candidate] = _candidates(unsure)
    token = MatchedPhoto.from_signed(
        unsure.installation.settings.secret_key, _field(page, "match_token")
    )
    assert token is not None
    assert (candidate.product_id, candidate.picked_from, candidate.photo_key) == (
        unsure.products["bottle"],
        "list",
        token.search_id,
    )
    assert candidate.confidence == pytest.approx(token.listed)


def test_a_pick_needs_the_forms_token_and_a_signed_answer(unsure: Shop) -> None:
    page = _photo_search(unsure, "tin")
    forged = unsure.client.post(
        "/s/corner/pick",
        data={"match_token": _field(page, "match_token"), "product_id": unsure.products["tin"]},
    )
    assert forged.status_code == 403
    guessed = unsure.client.post(
        "/s/corner/pick",
        data={
            "csrf_token": csrf_of(unsure.client, "/s/corner"),
            "match_token": "not-a-signed-answer",
            "product_id": unsure.products["tin"],
        },
        follow_redirects=False,
    )
    assert guessed.status_code == 303  # the shopper still gets the product page
    assert _candidates(unsure) == []


def test_not_this_one_then_the_text_search_proposes_the_product_found_by_name(
    unsure: Shop,
) -> None:
    page = _photo_search(unsure, "bottle")
    answer = MatchedPhoto.from_signed(
        unsure.installation.settings.secret_key, _field(page, "match_token")
    )
    assert answer is not None
    # The answer listed the tin only: the bottle is found by name.
    only_tin = MatchedPhoto(answer.search_id, [unsure.products["tin"]], True, "shortlist", 0.8)
    token = only_tin.signed(unsure.installation.settings.secret_key)
    found = unsure.client.get("/s/corner/find", params={"q": "bottle", "photo": token}).text
    assert 'data-testid="pick"' in found and _field(found, "photo") == token
    _pick(unsure, found, "bottle")
    [candidate] = _candidates(unsure)
    assert (candidate.product_id, candidate.picked_from, candidate.confidence) == (
        unsure.products["bottle"],
        "text",
        0.0,
    )
    plain = unsure.client.get("/s/corner/find", params={"q": "bottle"}).text
    assert 'data-testid="pick"' not in plain  # no photo: ordinary product links


def test_an_operator_accepts_and_the_search_finds_the_photo_at_once(unsure: Shop) -> None:
    page = _photo_search(unsure, "bottle")
    _pick(unsure, page, "bottle")
    client = unsure.client
    candidates_url = f"/operator/showrooms/{unsure.showroom_id}/candidates"
    assert client.get(candidates_url, follow_redirects=False).status_code == 303  # login first
    log_in(client, "ops@shop.fr", "ops-pass-1")
    console = client.get(f"/operator/showrooms/{unsure.showroom_id}").text
    assert "Shoppers' photos (1 waiting)" in console
    listing = client.get(candidates_url).text
    [candidate] = _candidates(unsure)
    assert f"/operator/review-photos/{candidate.photo_key}" in listing
    assert "Bottle" in listing and 'data-testid="candidate"' in listing
    assert 'name="percent"' not in listing  # staff see the auto-accept setting, admins set it
    before = len(unsure.engine)
    accepted = client.post(
        f"{candidates_url}/{candidate.id}/accept",
        data={"csrf_token": csrf_of(client, candidates_url)},
    )
    assert "the search uses this photo now" in accepted.text
    assert 'data-testid="no-candidates"' in accepted.text
    [image_id] = _enrolled(unsure, "bottle")
    assert len(unsure.engine) == before + 1
    again = unsure.engine.search(_cropped("bottle"))
    assert again.results[0].product_id == unsure.products["bottle"]
    assert again.results[0].matched_image_id == image_id  # the shopper's photo itself
    twice = client.post(
        f"{candidates_url}/{candidate.id}/accept",
        data={"csrf_token": csrf_of(client, candidates_url)},
    )
    assert "decided on this photo already" in twice.text


def test_an_operator_rejects_and_nothing_is_learned(unsure: Shop) -> None:
    _pick(unsure, _photo_search(unsure, "tin"), "tin")
    log_in(unsure.client, "ops@shop.fr", "ops-pass-1")
    url = f"/operator/showrooms/{unsure.showroom_id}/candidates"
    [candidate] = _candidates(unsure)
    forged = unsure.client.post(f"{url}/{candidate.id}/reject", data={"csrf_token": "forged"})
    assert forged.status_code == 403 and len(_candidates(unsure)) == 1
    rejected = unsure.client.post(
        f"{url}/{candidate.id}/reject", data={"csrf_token": csrf_of(unsure.client, url)}
    )
    assert "Rejected" in rejected.text
    assert (_candidates(unsure), _enrolled(unsure, "tin")) == ([], [])


def test_only_admins_set_auto_accept_and_then_picks_are_learned_at_once(unsure: Shop) -> None:
    client = unsure.client
    url = f"/operator/showrooms/{unsure.showroom_id}/candidates"
    setting = f"/operator/showrooms/{unsure.showroom_id}/auto-accept"
    log_in(client, "ops@shop.fr", "ops-pass-1")
    staff = client.post(setting, data={"percent": "0", "csrf_token": csrf_of(client, url)})
    assert staff.status_code == 403
    client.cookies.clear()
    log_in(client, "boss@shop.fr", "boss-pass-1")
    for bad in ("150", "-1", "lots"):
        refused = client.post(setting, data={"percent": bad, "csrf_token": csrf_of(client, url)})
        assert refused.status_code == 422, bad
    saved = client.post(setting, data={"percent": "0", "csrf_token": csrf_of(client, url)})
    assert 'data-testid="auto-accept-percent">0 %' in saved.text
    _pick(unsure, _photo_search(unsure, "tin"), "tin")  # accepted after the response
    assert (len(_candidates(unsure)), len(_enrolled(unsure, "tin"))) == (0, 1)
    off = client.post(setting, data={"percent": "", "csrf_token": csrf_of(client, url)})
    assert "you decide on every candidate" in off.text
    _pick(unsure, _photo_search(unsure, "bottle"), "bottle")
    assert (len(_candidates(unsure)), len(_enrolled(unsure, "bottle"))) == (1, 0)


def test_it_was_this_product_on_an_unrecognised_photo_teaches_the_search(blind: Shop) -> None:
    page = _photo_search(blind, "bottle")
    assert 'data-testid="not-found"' in page
    key = _field(page, "match_token")
    answer = MatchedPhoto.from_signed(blind.installation.settings.secret_key, key)
    assert answer is not None
    client = blind.client
    log_in(client, "ops@shop.fr", "ops-pass-1")
    assert client.app.state.event_recorder.flush(30)  # type: ignore[attr-defined]
    dashboard = client.get(f"/operator/showrooms/{blind.showroom_id}/dashboard").text
    label_url = f"/operator/showrooms/{blind.showroom_id}/review-photos/{answer.search_id}"
    assert f'href="{label_url}"' in dashboard and "It was this product" in dashboard
    choices = client.get(label_url, params={"q": "bottle"}).text
    assert 'data-testid="label-choices"' in choices and blind.products["bottle"] in choices
    assert "Stripes" not in client.get(label_url, params={"q": "stripes"}).text  # not displayed
    forged = client.post(label_url, data={"product_id": blind.products["bottle"]})
    assert forged.status_code == 403
    done = client.post(
        label_url,
        data={"product_id": blind.products["bottle"], "csrf_token": csrf_of(client, label_url)},
    )
    assert 'data-testid="label-message"' in done.text
    [image_id] = _enrolled(blind, "bottle")
    assert blind.engine.search(_cropped("bottle")).results[0].matched_image_id == image_id
    elsewhere = client.post(
        label_url,
        data={"product_id": blind.products["stripes"], "csrf_token": csrf_of(client, label_url)},
    )
    assert elsewhere.status_code == 404  # not on display here
    gone = f"/operator/showrooms/{blind.showroom_id}/review-photos/2020-01-01/{'A' * 22}.jpg"
    assert client.get(gone).status_code == 404

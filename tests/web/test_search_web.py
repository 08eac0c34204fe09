"""Photo search through the API and the shopper page; enrollment from the console; bad photos."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select

from tests.search.test_service import _add_product, _cropped, drawn_product
from tests.web.conftest import csrf_of, log_in
from vitrine.accounts.service import create_operator
from vitrine.analytics.models import ShopperEvent
from vitrine.installation import Installation, open_installation
from vitrine.settings import Settings
from vitrine.showrooms import service as showrooms
from vitrine.web.app import create_app

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
MAX_UPLOAD = 1024 * 1024


@pytest.fixture
def shop(settings: Settings) -> Iterator[tuple[TestClient, Installation, dict[str, str]]]:
    installation = open_installation(settings.model_copy(update={"max_upload_bytes": MAX_UPLOAD}))
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
        create_operator(
            db_session=session, email="ops@shop.fr", password="ops-password-1", role="staff"
        )
    with TestClient(create_app(installation)) as client:
        yield client, installation, products
    installation.dispose()


def _png(mode: str, size: tuple[int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size).save(buffer, format="PNG")
    return buffer.getvalue()


def test_the_api_finds_the_product_in_a_photo(
    shop: tuple[TestClient, Installation, dict[str, str]],
) -> None:
    client, _, products = shop
    response = client.post(
        "/api/v1/search",
        files={"image": ("p.png", _cropped("tin"), "image/png")},
        data={"showroom": "corner", "limit": "2"},
    )
    assert response.status_code == 200
    body = response.json()
    first = body["results"][0]
    assert (first["product_id"], first["sku"], first["price"], first["currency"]) == (
        products["tin"],
        "TIN",
        500,
        "EUR",
    )
    assert first["matched_image"].startswith("/media/")
    assert len(body["results"]) == 2
    assert {"decode", "embed", "total"} <= set(body["timings_ms"])
    assert isinstance(body["not_found"], bool)
    assert body["first_screen"] in ("single", "shortlist", "not_found")
    assert body["shortlist_size"] == 4 and 0 <= body["shortlist_confidence"] <= 1


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"", 400),
        (b"%PDF-1.4 not an image", 400),
        (drawn_product("tin")[:400], 400),
        (_png("1", (20000, 20000)), 400),
        (b"\xff" * (MAX_UPLOAD + 1), 413),
    ],
    ids=["zero-bytes", "not-an-image", "truncated-jpeg", "decompression-bomb", "too-large"],
)
def test_bad_photos_get_a_clear_4xx_and_the_server_keeps_serving(
    shop: tuple[TestClient, Installation, dict[str, str]], data: bytes, status: int
) -> None:
    client, _, _ = shop
    response = client.post("/api/v1/search", files={"image": ("x.jpg", data, "image/jpeg")})
    assert response.status_code == status
    assert response.json()["detail"]
    assert client.get("/api/v1/health").status_code == 200


@pytest.mark.parametrize("mode_format", [("RGBA", "PNG"), ("CMYK", "JPEG"), ("P", "GIF")])
def test_alpha_cmyk_and_gif_photos_are_searched(
    shop: tuple[TestClient, Installation, dict[str, str]], mode_format: tuple[str, str]
) -> None:
    client, _, _ = shop
    buffer = io.BytesIO()
    Image.open(io.BytesIO(drawn_product("bottle"))).convert(mode_format[0]).save(
        buffer, format=mode_format[1]
    )
    response = client.post("/api/v1/search", files={"image": ("x", buffer.getvalue(), "image/*")})
    assert response.status_code == 200


def test_the_photo_page_shows_a_match_and_records_the_search(
    shop: tuple[TestClient, Installation, dict[str, str]],
) -> None:
    client, installation, _ = shop
    csrf = csrf_of(client, "/s/corner")
    page = client.post(
        "/s/corner/photo",
        files={"image": ("p.png", _cropped("bottle"), "image/png")},
        data={"csrf_token": csrf},
    )
    assert page.status_code == 200
    assert "Bottle" in page.text
    refused = client.post(
        "/s/corner/photo",
        files={"image": ("p.txt", b"hello", "text/plain")},
        data={"csrf_token": csrf},
    )
    assert refused.status_code == 400
    assert "This photo could not be read" in refused.text
    forged = client.post(
        "/s/corner/photo",
        files={"image": ("p.png", _cropped("tin"), "image/png")},
        data={"csrf_token": "forged"},
    )
    assert forged.status_code == 403
    assert client.app.state.event_recorder.flush()  # type: ignore[attr-defined]
    with installation.session_factory() as session:
        searches = session.scalars(
            select(ShopperEvent).where(ShopperEvent.kind == "photo_search")
        ).all()
    assert len(searches) == 1
    assert searches[0].detail["photo_key"]


def test_not_this_one_keeps_the_photo_for_the_operator(
    shop: tuple[TestClient, Installation, dict[str, str]],
) -> None:
    client, installation, products = shop
    csrf = csrf_of(client, "/s/corner")
    page = client.post(
        "/s/corner/photo",
        files={"image": ("p.png", _cropped("tin"), "image/png")},
        data={"csrf_token": csrf},
    ).text
    search_id = re.search(r'name="search_id" value="([^"]*)"', page)
    assert search_id is not None, "the tin was not recognised"
    client.post(
        "/s/corner/not-this-one",
        data={"csrf_token": csrf, "product_id": products["tin"], "search_id": search_id.group(1)},
    )
    photo_url = f"/operator/review-photos/{search_id.group(1)}"
    assert client.get(photo_url, follow_redirects=False).status_code == 303  # operators only
    log_in(client, "ops@shop.fr", "ops-password-1")
    assert client.get(photo_url).headers["content-type"] == "image/jpeg"
    with installation.session_factory() as session:
        room = showrooms.get_showroom_by_slug(db_session=session, slug="corner")
        assert room is not None
        room_id = room.id
    assert client.app.state.event_recorder.flush(30)  # type: ignore[attr-defined]
    dashboard = client.get(f"/operator/showrooms/{room_id}/dashboard").text
    assert photo_url in dashboard


def test_a_photo_result_is_a_page_the_switches_and_not_this_one_come_back_to(
    shop: tuple[TestClient, Installation, dict[str, str]],
) -> None:
    client, _installation, products = shop
    csrf = csrf_of(client, "/s/corner")
    answered = client.post(
        "/s/corner/photo",
        files={"image": ("p.png", _cropped("tin"), "image/png")},
        data={"csrf_token": csrf},
        follow_redirects=False,
    )
    assert answered.status_code == 303
    result_url = answered.headers["location"]
    assert result_url.startswith("/s/corner/match/")
    page = client.get(result_url).text
    assert 'data-testid="best-match"' in page
    back = re.search(r'name="back" value="([^"]*)"', page)
    assert back is not None and back.group(1) == result_url
    switched = client.post(
        "/preferences", data={"language": "fr", "back": back.group(1), "csrf_token": csrf}
    )
    assert switched.status_code == 200 and str(switched.url).endswith(result_url)
    assert "Meilleure correspondance" in switched.text  # the same answer, now in French
    token = re.search(r'name="match_token" value="([^"]*)"', switched.text)
    assert token is not None
    thanks = client.post(
        "/s/corner/not-this-one",
        data={"csrf_token": csrf, "product_id": products["tin"], "match_token": token.group(1)},
    )
    assert thanks.status_code == 200
    assert 'data-testid="feedback-thanks"' in thanks.text
    assert "Nothing matches" not in thanks.text and "Aucun résultat" not in thanks.text
    assert 'data-testid="best-match"' not in thanks.text
    forged = client.get("/s/corner/match/not-a-signed-answer", follow_redirects=False)
    assert forged.status_code == 303 and forged.headers["location"] == "/s/corner"


def test_enrollment_needs_an_operator_and_is_all_or_nothing(
    shop: tuple[TestClient, Installation, dict[str, str]],
) -> None:
    client, _, products = shop
    url = f"/api/v1/showrooms/corner/products/{products['tin']}/enrollment"
    photos = [("photos", ("a.jpg", _cropped("tin"), "image/png"))]
    assert client.post(url, files=photos).status_code == 401
    log_in(client, "ops@shop.fr", "ops-password-1")
    csrf = csrf_of(client, "/operator/login")
    assert client.post(url, files=photos).status_code == 403  # no CSRF header
    mixed = [*photos, ("photos", ("b.jpg", b"not a photo", "image/jpeg"))]
    refused = client.post(url, files=mixed, headers={"X-CSRF-Token": csrf})
    assert (refused.status_code, "none was added" in refused.json()["detail"]) == (400, True)
    added = client.post(url, files=photos, headers={"X-CSRF-Token": csrf})
    assert added.status_code == 201
    assert added.json() == {"product_id": products["tin"], "added": 1, "enrollment_photos": 1}
    elsewhere = f"/api/v1/showrooms/corner/products/{products['stripes']}/enrollment"
    assert client.post(elsewhere, files=photos, headers={"X-CSRF-Token": csrf}).status_code == 404


@pytest.mark.parametrize(
    ("single_at", "shortlist_at", "shown"),
    [(0.0, 1.01, "best-match"), (1.01, 0.0, "shortlist"), (1.01, 1.01, "not-found")],
)
def test_the_photo_page_shows_what_the_first_screen_says(
    shop: tuple[TestClient, Installation, dict[str, str]],
    single_at: float,
    shortlist_at: float,
    shown: str,
) -> None:
    """One product when sure; "could it be one of these?" when the list likely holds it; else
    "not recognised" with similar products."""
    from vitrine.search.pipeline import PipelineConfig
    from vitrine.search.service import SearchEngine

    _, installation, products = shop
    config = PipelineConfig(not_found_threshold=single_at, shortlist_threshold=shortlist_at)
    engine = SearchEngine(
        index_dir=installation.settings.index_dir, media=installation.media, config=config
    )
    with installation.session_factory() as session:
        engine.sync(db_session=session)
    with TestClient(create_app(installation, search_engine=engine)) as client:
        page = client.post(
            "/s/corner/photo",
            files={"image": ("p.png", _cropped("bottle"), "image/png")},
            data={"csrf_token": csrf_of(client, "/s/corner")},
        )
    assert page.status_code == 200
    assert f'data-testid="{shown}"' in page.text
    for other in {"best-match", "shortlist", "not-found"} - {shown}:
        assert f'data-testid="{other}"' not in page.text
    if shown != "not-found":
        assert "Bottle" in page.text
    assert products["bottle"] in page.text

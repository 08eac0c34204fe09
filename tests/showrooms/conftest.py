"""A showroom displaying two drawn products, and shoppers' kept photos of them."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.search.pictures import add_catalog_product, draw_product, encode
from vitrine.analytics.review_photos import ReviewPhotos
from vitrine.installation import Installation
from vitrine.showrooms import candidate_service as candidates
from vitrine.showrooms import service as showrooms


@dataclass(frozen=True)
class Floor:
    """The showroom's id, its displayed products (A, B), a product not on display (C)."""

    showroom_id: str
    products: dict[str, str]
    photos: ReviewPhotos
    teaching: candidates.Teaching


@pytest.fixture
def floor(installation: Installation) -> Floor:
    with installation.session_factory() as session, session.begin():
        products = {
            name: add_catalog_product(
                session, installation.media, f"SKU-{name}", encode(draw_product(seed))
            ).product_id
            for seed, name in enumerate("ABC")
        }
        room = showrooms.create_showroom(
            db_session=session, slug="corner", name="Corner", currency="EUR"
        )
        showrooms.put_on_display(
            db_session=session, showroom=room, product_ids=[products["A"], products["B"]]
        )
        room_id = room.id
    photos = ReviewPhotos(installation.settings.review_dir, retention_days=30)
    return Floor(
        room_id, products, photos, candidates.Teaching(media=installation.media, photos=photos)
    )


def shopper_photo(floor: Floor, seed: int = 0) -> str:
    """A shopper's photo of a drawn product, kept as a photo search keeps it: its key."""
    picture = draw_product(seed).rotate(3).crop((10, 8, 310, 232))
    return floor.photos.keep(encode(picture))

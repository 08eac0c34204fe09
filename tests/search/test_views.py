import numpy as np
from PIL import Image

from vitrine.search.pipeline import ProductMatch, average_over_views
from vitrine.search.views import (
    PILE_SIDE,
    PILE_VIEWS,
    TRAINING_VIEWS,
    adapter_views,
    pile_views,
    query_crops,
    studio_cutout,
    training_views,
)


def _picture() -> Image.Image:
    pixels = np.zeros((300, 400, 3), np.uint8)
    pixels[:150, :200] = (200, 30, 30)
    pixels[150:, 200:] = (30, 30, 200)
    return Image.fromarray(pixels)


def test_query_crops_are_the_centre_and_the_four_corners() -> None:
    crops = query_crops(_picture(), 0.6)
    assert [crop.size for crop in crops] == [(240, 180)] * 5
    top_left, bottom_right = np.asarray(crops[1]), np.asarray(crops[4])
    assert tuple(top_left[0, 0]) == (200, 30, 30)
    assert tuple(bottom_right[-1, -1]) == (30, 30, 200)


def test_training_views_are_seeded_by_the_picture_and_vary() -> None:
    first = training_views(_picture(), 4, "image-1")
    again = training_views(_picture(), 4, "image-1")
    other = training_views(_picture(), 4, "image-2")
    assert len(first) == 4
    assert all(
        np.array_equal(np.asarray(a), np.asarray(b)) for a, b in zip(first, again, strict=True)
    )
    assert len({view.size for view in first + other}) > 1
    assert all(view.mode == "RGB" for view in first)


def test_tiny_and_odd_pictures_give_views_too() -> None:
    tiny = Image.new("L", (1, 1))
    assert [crop.size for crop in query_crops(tiny)] == [(1, 1)] * 5
    assert len(training_views(tiny, 3, "x")) == 3


def test_products_are_ranked_by_their_mean_score_over_views() -> None:
    whole = [ProductMatch("a", 0.9, "a1"), ProductMatch("b", 0.8, "b1")]
    crop = [ProductMatch("b", 0.9, "b2"), ProductMatch("c", 0.5, "c1")]
    averaged = average_over_views([whole, crop])
    assert [m.product_id for m in averaged] == ["b", "a", "c"]
    by_id = {m.product_id: m for m in averaged}
    assert by_id["b"].score == (0.8 + 0.9) / 2
    assert by_id["b"].matched_image_id == "b1"  # the whole photo's match is shown
    assert by_id["a"].score == (0.9 + 0.5) / 2  # missing from a view: that view's lowest score
    assert by_id["c"].score == (0.8 + 0.5) / 2
    assert average_over_views([whole]) == whole


def _studio_shot() -> Image.Image:
    pixels = np.full((200, 160, 3), 250, np.uint8)
    pixels[60:140, 50:110] = (220, 40, 40)  # a red product on white
    return Image.fromarray(pixels)


def test_studio_shots_are_cut_out_and_piled_on_backdrops() -> None:
    cutout = studio_cutout(_studio_shot())
    assert cutout is not None
    product, mask = cutout
    assert product.size == (60, 80) and mask.size == (60, 80)
    backdrop = Image.new("RGB", (50, 50), (0, 90, 0))
    piles = pile_views(_studio_shot(), 4, "red", [backdrop])
    assert [view.size for view in piles] == [(PILE_SIDE, PILE_SIDE)] * 4
    again = pile_views(_studio_shot(), 4, "red", [backdrop])
    assert all(
        np.array_equal(np.asarray(a), np.asarray(b)) for a, b in zip(piles, again, strict=True)
    )
    for view in piles:  # the product is in every view, and no longer on white
        pixels = np.asarray(view).reshape(-1, 3).astype(int)
        assert ((pixels[:, 0] > 180) & (pixels[:, 1] < 90)).any()
        assert (pixels.min(axis=1) > 240).mean() < 0.5


def test_shop_photos_get_re_framings_only_and_studio_shots_piles_too() -> None:
    photo = _picture()  # coloured to the border: an in-store photo
    assert studio_cutout(photo) is None
    assert pile_views(photo, 3, "x") == []
    views = adapter_views([("a", _studio_shot(), True), ("b", photo, False)])
    assert len(views[0]) == TRAINING_VIEWS + PILE_VIEWS
    assert len(views[1]) == TRAINING_VIEWS

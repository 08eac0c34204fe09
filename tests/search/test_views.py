import numpy as np
from PIL import Image

from vitrine.search.pipeline import ProductMatch, average_over_views
from vitrine.search.views import query_crops, training_views


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

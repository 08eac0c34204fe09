"""What the answer page lists for a tap, and the confidence of a shopper's pick."""

from __future__ import annotations

import pytest

from vitrine.search.first_screen import offered_products, pick_confidence

RANKED = ["a", "b", "c", "d", "e"]


@pytest.mark.parametrize(
    ("screen", "wrong", "offered"),
    [
        ("single", "", ["b", "c", "d", "e"]),  # the best match is a link, the others picks
        ("shortlist", "", ["a", "b", "c", "d"]),
        ("not_found", "", ["a", "b", "c"]),
        ("single", "a", ["b", "c", "d", "e"]),  # after "Not this one?"
        ("shortlist", "c", ["a", "b", "d", "e"]),
    ],
)
def test_the_page_offers_the_products_its_screen_shows(
    screen: str, wrong: str, offered: list[str]
) -> None:
    assert offered_products(screen, RANKED, wrong=wrong) == offered


def test_a_pick_is_as_sure_as_the_short_list_that_held_it() -> None:
    assert pick_confidence("d", RANKED, 0.83) == 0.83
    assert pick_confidence("e", RANKED, 0.83) == 0.0  # fifth: not in the short list
    assert pick_confidence("z", RANKED, 0.83) == 0.0  # found by name

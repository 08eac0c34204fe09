"""What a photo's answer page offers the shopper to tap, and how sure the search was of a pick.

The answer page (web/pages/photo_search.py) and the learning-loop benchmark both read it, so
the benchmark's simulated shoppers see the screens real shoppers see.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from vitrine.search.confidence import SHORTLIST_SIZE

SIMILAR_SHOWN = 3  # "not found": the similar products shown under the text search
PickedFrom = Literal["list", "text"]


def offered_products(screen: str, product_ids: Sequence[str], *, wrong: str = "") -> list[str]:
    """Products the answer page lists for a tap, best first.

    ``single``: the best match is a plain link (the search was right: nothing to learn), the
    others are listed under it. ``shortlist``: the first ``SHORTLIST_SIZE``. ``not_found``:
    the first ``SIMILAR_SHOWN``. After "Not this one?" (``wrong``): every other product.
    """
    if wrong:
        return [p for p in product_ids if p != wrong]
    if screen == "shortlist":
        return list(product_ids[:SHORTLIST_SIZE])
    if screen == "not_found":
        return list(product_ids[:SIMILAR_SHOWN])
    return list(product_ids[1:])


def pick_confidence(product_id: str, product_ids: Sequence[str], listed: float) -> float:
    """How sure the search itself was of a shopper's pick: ``listed`` (its calibrated
    probability that its first ``SHORTLIST_SIZE`` products hold the right one) when the pick is
    among them, taking the shopper's choice among them as right; 0 for a product the search did
    not put there (found by name: only the operator can tell)."""
    return float(listed) if product_id in product_ids[:SHORTLIST_SIZE] else 0.0

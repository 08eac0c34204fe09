"""Fixtures for the search tests: small synthetic product photos."""

from __future__ import annotations

import pytest

from tests.search.pictures import draw_product, encode


@pytest.fixture
def product_jpeg() -> bytes:
    return encode(draw_product(1))

"""Checkout details are validated field by field, with a message per wrong field."""

from __future__ import annotations

import dataclasses

import pytest

from tests.orders.conftest import HOME
from vitrine.orders.contact import CheckoutDetails, InvalidDetails, validate_details


def _problems(**changes: str) -> dict[str, str]:
    with pytest.raises(InvalidDetails) as caught:
        validate_details(dataclasses.replace(HOME, **changes))
    return caught.value.problems


def test_a_good_home_delivery_passes_trimmed() -> None:
    details = validate_details(dataclasses.replace(HOME, city="  Paris "))
    assert details.city == "Paris"


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"email": "not-an-email"}, "email"), ({"email": "a@b"}, "email"),
     ({"email": "", "phone": ""}, "email"), ({"phone": "12"}, "phone"),
     ({"phone": "+33 6 <script>"}, "phone"), ({"postcode": "7500"}, "postcode"),
     ({"postcode": "ABCDE"}, "postcode"), ({"address_line": ""}, "address_line"),
     ({"delivery_method": "drone"}, "delivery_method")],
)  # fmt: skip
def test_each_malformed_field_is_named(changes: dict[str, str], field: str) -> None:
    assert field in _problems(**changes)


def test_a_locker_delivery_needs_a_locker_but_no_address() -> None:
    locker = CheckoutDetails(email="a@b.fr", phone="", delivery_method="locker")
    with pytest.raises(InvalidDetails) as caught:
        validate_details(locker)
    assert caught.value.problems == {"locker_site_id": "choose a parcel locker"}
    assert validate_details(dataclasses.replace(locker, locker_site_id="abc")).locker_site_id

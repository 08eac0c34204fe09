"""Pickup codes: 10 random digits, read in groups, accepted with spaces, hashed per site."""

from __future__ import annotations

from vitrine.lockers.codes import (
    CODE_SPACE,
    courier_token_hash,
    format_code,
    new_courier_token,
    new_pickup_code,
    parse_code,
    pickup_code_hash,
)


def test_codes_are_ten_digits_and_differ() -> None:
    codes = {new_pickup_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(len(code) == 10 and code.isdigit() for code in codes)
    assert CODE_SPACE == 10**10


def test_a_code_reads_in_groups_and_is_accepted_with_spaces_or_dashes() -> None:
    assert format_code("0123456789") == "012 345 6789"
    assert parse_code("012 345 6789") == "0123456789"
    assert parse_code(" 012-345-6789 ") == "0123456789"


def test_malformed_codes_are_refused() -> None:
    for text in ["", "12345", "01234567890", "01234x6789", "٠١٢٣٤٥٦٧٨٩"]:
        assert parse_code(text) is None


def test_the_stored_hash_binds_the_code_to_its_site_and_the_secret() -> None:
    digest = pickup_code_hash(secret_key="k", site_id="site-a", code="0123456789")
    assert len(digest) == 64 and "0123456789" not in digest
    assert digest != pickup_code_hash(secret_key="k", site_id="site-b", code="0123456789")
    assert digest != pickup_code_hash(secret_key="other", site_id="site-a", code="0123456789")


def test_courier_tokens_are_long_random_and_stored_as_a_hash() -> None:
    token = new_courier_token()
    assert len(token) > 40 and token != new_courier_token()
    assert courier_token_hash(token) != token and len(courier_token_hash(token)) == 64

"""Checkout details a shopper types: contact and delivery address, validated strictly (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from vitrine.i18n.translator import N_

EMAIL = re.compile(r"^[^@\s<>\"']{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
PHONE_ALLOWED = re.compile(r"^\+?[0-9 ().-]{6,24}$")
POSTCODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 -]{1,9}$")
FRENCH_POSTCODE = re.compile(r"^\d{5}$")


class InvalidDetails(ValueError):
    """One or more fields are wrong; `problems` maps each field to a message for the shopper."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(f"{field}: {message}" for field, message in problems.items()))
        self.problems = problems


@dataclass(frozen=True)
class CheckoutDetails:
    email: str
    phone: str
    delivery_method: str  # "home" or "locker"
    recipient_name: str = ""
    address_line: str = ""
    postcode: str = ""
    city: str = ""
    locker_site_id: str = ""
    country: str = "FR"


def _contact_problems(details: CheckoutDetails) -> dict[str, str]:
    problems = {}
    if not details.email and not details.phone:
        problems["email"] = N_("give an email address or a phone number")
    if details.email and not EMAIL.fullmatch(details.email):
        problems["email"] = N_("this is not an email address")
    digits = re.sub(r"\D", "", details.phone)
    if details.phone and (not PHONE_ALLOWED.fullmatch(details.phone) or not 8 <= len(digits) <= 15):
        problems["phone"] = N_("this is not a phone number")
    return problems


def _postcode_problem(postcode: str, country: str) -> str | None:
    pattern = FRENCH_POSTCODE if country == "FR" else POSTCODE
    if not pattern.fullmatch(postcode):
        return (
            N_("this is not a postcode (5 digits)")
            if country == "FR"
            else N_("this is not a postcode")
        )
    return None


def _delivery_problems(details: CheckoutDetails) -> dict[str, str]:
    problems = {}
    if details.delivery_method == "locker":
        if not details.locker_site_id:
            problems["locker_site_id"] = N_("choose a parcel locker")
        return problems
    if details.delivery_method != "home":
        return {"delivery_method": N_("choose home delivery or a parcel locker")}
    if not details.recipient_name.strip():
        problems["recipient_name"] = N_("whom should we deliver to?")
    if len(details.address_line.strip()) < 4:
        problems["address_line"] = N_("give the street address")
    postcode_problem = _postcode_problem(details.postcode.strip(), details.country)
    if postcode_problem:
        problems["postcode"] = postcode_problem
    if not details.city.strip():
        problems["city"] = N_("give the city")
    return problems


def validate_details(details: CheckoutDetails) -> CheckoutDetails:
    """Return the details with whitespace trimmed, or raise InvalidDetails naming every field."""
    trimmed = CheckoutDetails(**{k: str(v).strip() for k, v in details.__dict__.items()})
    problems = {**_contact_problems(trimmed), **_delivery_problems(trimmed)}
    if problems:
        raise InvalidDetails(problems)
    return trimmed

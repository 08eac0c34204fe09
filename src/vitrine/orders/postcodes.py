"""Approximate centres of Paris postcodes, to sort parcel lockers by distance from a postcode.

A real deployment loads a national table; the demo city only needs its twenty arrondissements.
"""

from __future__ import annotations

PARIS_POSTCODE_CENTRES: dict[str, tuple[float, float]] = {
    "75001": (48.8625, 2.3364),
    "75002": (48.8683, 2.3428),
    "75003": (48.8630, 2.3600),
    "75004": (48.8543, 2.3576),
    "75005": (48.8445, 2.3497),
    "75006": (48.8491, 2.3327),
    "75007": (48.8562, 2.3122),
    "75008": (48.8727, 2.3125),
    "75009": (48.8771, 2.3375),
    "75010": (48.8761, 2.3608),
    "75011": (48.8591, 2.3800),
    "75012": (48.8350, 2.4213),
    "75013": (48.8283, 2.3623),
    "75014": (48.8292, 2.3265),
    "75015": (48.8401, 2.2930),
    "75016": (48.8604, 2.2620),
    "75017": (48.8873, 2.3067),
    "75018": (48.8925, 2.3481),
    "75019": (48.8871, 2.3848),
    "75020": (48.8634, 2.4012),
}


def centre_of(postcode: str) -> tuple[float, float] | None:
    return PARIS_POSTCODE_CENTRES.get(postcode.strip())

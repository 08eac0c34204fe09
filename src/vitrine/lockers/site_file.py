"""Reading a CSV of locker sites (name, position, opening hours, compartments per size)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

REQUIRED_COLUMNS = ("ref", "name", "latitude", "longitude")


class SiteFileError(ValueError):
    """A site file that cannot be read at all (the message says why)."""


@dataclass(frozen=True)
class SiteRow:
    ref: str
    name: str
    address: str
    latitude: float
    longitude: float
    opening_hours: str
    compartments: dict[str, int] = field(default_factory=dict)


@dataclass
class ParsedSites:
    rows: list[SiteRow] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def read_site_file(path: Path, size_codes: Sequence[str]) -> ParsedSites:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise SiteFileError(f"cannot read {path}: {error}") from error
    return parse_sites(text, size_codes)


def parse_sites(text: str, size_codes: Sequence[str]) -> ParsedSites:
    """Columns ref,name,address,latitude,longitude,opening_hours and one count per size code."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [name for name in REQUIRED_COLUMNS if name not in (reader.fieldnames or [])]
    if missing:
        raise SiteFileError(f"missing columns: {', '.join(missing)}")
    parsed = ParsedSites()
    for line, raw in enumerate(reader, start=2):
        try:
            parsed.rows.append(_site_row(raw, size_codes))
        except ValueError as error:
            parsed.problems.append(f"line {line}: {error}")
    return parsed


def _site_row(raw: dict[str, str], size_codes: Sequence[str]) -> SiteRow:
    ref, name = (raw.get("ref") or "").strip(), (raw.get("name") or "").strip()
    if not ref or not name:
        raise ValueError("ref and name are required")
    latitude, longitude = _number(raw, "latitude"), _number(raw, "longitude")
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise ValueError(f"position {latitude}, {longitude} is not on Earth")
    return SiteRow(
        ref=ref,
        name=name,
        address=(raw.get("address") or "").strip(),
        latitude=latitude,
        longitude=longitude,
        opening_hours=(raw.get("opening_hours") or "").strip() or "24/7",
        compartments={code: _count(raw, code) for code in size_codes},
    )


def _number(raw: dict[str, str], column: str) -> float:
    try:
        return float((raw.get(column) or "").strip())
    except ValueError:
        raise ValueError(f"{column} {raw.get(column)!r} is not a number") from None


def _count(raw: dict[str, str], column: str) -> int:
    value = (raw.get(column) or "0").strip() or "0"
    if not value.isdigit():
        raise ValueError(f"compartment count {column}={value!r} is not a whole number")
    return int(value)

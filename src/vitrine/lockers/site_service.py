"""Locker sites and their compartments: import, lists by distance, free counts, service state.

Compartments change state only through conditional UPDATEs (`... WHERE state = 'free'`), so two
requests racing for one compartment never both get it, on SQLite as on PostgreSQL. Every public
use case here owns its transaction: it commits on success and rolls back before raising.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import func, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from vitrine.lockers.distance import distance_km
from vitrine.lockers.errors import UnknownSite, WrongState
from vitrine.lockers.models import LockerCompartment, LockerSite
from vitrine.lockers.site_file import SiteRow
from vitrine.lockers.states import CompartmentState, compartment_transition

HOLDING_STATES = (CompartmentState.RESERVED, CompartmentState.OCCUPIED)


@dataclass(frozen=True)
class NearbySite:
    site: LockerSite
    km: float
    free: dict[str, int]


@dataclass
class SiteImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def create_site(
    *,
    db_session: Session,
    name: str,
    latitude: float,
    longitude: float,
    compartments: dict[str, int],
    address: str = "",
    opening_hours: str = "24/7",
    ref: str | None = None,
) -> LockerSite:
    site = LockerSite(
        ref=ref or name.lower().replace(" ", "-"),
        name=name,
        address=address,
        latitude=latitude,
        longitude=longitude,
        opening_hours=opening_hours,
    )
    db_session.add(site)
    db_session.flush()
    _add_compartments(db_session, site, compartments)
    db_session.commit()
    return site


def import_sites(*, db_session: Session, rows: Iterable[SiteRow]) -> SiteImportReport:
    """Create sites by `ref`, or update them; compartments are added up to the counts given."""
    report = SiteImportReport()
    for row in rows:
        site = db_session.scalar(select(LockerSite).where(LockerSite.ref == row.ref))
        if site is None:
            site = LockerSite(ref=row.ref)
            db_session.add(site)
            report.created.append(row.ref)
        else:
            report.updated.append(row.ref)
        site.name, site.address, site.opening_hours = row.name, row.address, row.opening_hours
        site.latitude, site.longitude = row.latitude, row.longitude
        db_session.flush()
        report.problems += _add_compartments(db_session, site, row.compartments)
    db_session.commit()
    return report


def _add_compartments(db_session: Session, site: LockerSite, wanted: dict[str, int]) -> list[str]:
    existing = list(
        db_session.scalars(select(LockerCompartment).where(LockerCompartment.site_id == site.id))
    )
    have = defaultdict(int, {size: 0 for size in wanted})
    for compartment in existing:
        have[compartment.size] += 1
    number = len(existing)
    for size, count in wanted.items():
        for _ in range(max(0, count - have[size])):
            label = f"{chr(ord('A') + number // 10)}{number % 10 + 1:02d}"
            db_session.add(LockerCompartment(site_id=site.id, label=label, size=size))
            number += 1
    db_session.flush()
    return [
        f"{site.ref}: has {have[size]} {size} compartments, more than {count}; none removed"
        for size, count in wanted.items()
        if have[size] > count
    ]


def get_site(*, db_session: Session, site_id: str) -> LockerSite:
    site = db_session.get(LockerSite, site_id)
    if site is None:
        raise UnknownSite(f"no locker site {site_id}")
    return site


def find_site(*, db_session: Session, key: str) -> LockerSite:
    """A site by its id or by the reference people see on it and in links (`les-halles`)."""
    site = db_session.get(LockerSite, key) or db_session.scalar(
        select(LockerSite).where(LockerSite.ref == key)
    )
    if site is None:
        raise UnknownSite(f"no locker site {key}")
    return site


def list_sites(*, db_session: Session) -> list[LockerSite]:
    return list(db_session.scalars(select(LockerSite).order_by(LockerSite.name)))


def free_counts(
    *, db_session: Session, site_ids: Iterable[str] | None = None
) -> dict[str, dict[str, int]]:
    """{site_id: {size: free compartments}} (sizes with none free are absent)."""
    query = (
        select(LockerCompartment.site_id, LockerCompartment.size, func.count())
        .where(LockerCompartment.state == CompartmentState.FREE)
        .group_by(LockerCompartment.site_id, LockerCompartment.size)
    )
    if site_ids is not None:
        query = query.where(LockerCompartment.site_id.in_(list(site_ids)))
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for site_id, size, count in db_session.execute(query):
        counts[site_id][size] = int(count)
    return counts


def nearest_sites(
    *, db_session: Session, latitude: float, longitude: float, limit: int = 5
) -> list[NearbySite]:
    """The closest sites with their free compartments by size (the checkout's locker list)."""
    sites = list_sites(db_session=db_session)
    counts = free_counts(db_session=db_session)
    nearby = [
        NearbySite(site, distance_km(latitude, longitude, site.latitude, site.longitude), {})
        for site in sites
    ]
    nearby.sort(key=lambda item: item.km)
    return [NearbySite(n.site, n.km, dict(counts.get(n.site.id, {}))) for n in nearby[:limit]]


def compartments(*, db_session: Session, site_id: str) -> list[LockerCompartment]:
    return list(
        db_session.scalars(
            select(LockerCompartment)
            .where(LockerCompartment.site_id == site_id)
            .order_by(LockerCompartment.label)
        )
    )


def set_compartment_in_service(
    *, db_session: Session, compartment_id: str, in_service: bool
) -> None:
    """Take a free compartment out of service, or put it back; occupied ones must be emptied."""
    event = "return_to_service" if in_service else "take_out_of_service"
    if not move_compartment(db_session, compartment_id, event):
        db_session.rollback()
        raise WrongState(f"compartment {compartment_id} cannot {event.replace('_', ' ')} now")
    db_session.commit()


# Compartment moves (conditional updates: they say whether they happened) -----------------------


def _rowcount(db_session: Session, statement: Any) -> int:
    result = cast(CursorResult[Any], db_session.execute(statement))
    return int(result.rowcount)


def move_compartment(
    db_session: Session, compartment_id: str, event: str, parcel_id: str | None = None
) -> bool:
    """Apply `event` to the compartment if it is in a source state (and holds `parcel_id`)."""
    transition = compartment_transition(event)
    holds = transition.target in HOLDING_STATES
    statement = (
        update(LockerCompartment)
        .where(LockerCompartment.id == compartment_id)
        .where(LockerCompartment.state.in_(transition.sources))
        .values(state=transition.target, parcel_id=parcel_id if holds else None)
    )
    if not holds and parcel_id is not None:
        statement = statement.where(LockerCompartment.parcel_id == parcel_id)
    return _rowcount(db_session, statement) == 1

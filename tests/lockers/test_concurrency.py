"""Real concurrent requests on PostgreSQL: no compartment given twice, no code opening twice."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from tests.lockers.conftest import NOW, SECRET, Lockers, code_sent_to, compartment_states, make_site
from vitrine.installation import Installation, open_installation
from vitrine.lockers import flows
from vitrine.lockers import parcel_service as parcels
from vitrine.lockers.errors import LockerError, NoRoom, PickupRefused
from vitrine.lockers.pickup import service as pickup_service
from vitrine.lockers.policy import LockerPolicy
from vitrine.settings import Settings

pytestmark = pytest.mark.postgres
T = TypeVar("T")


@pytest.fixture
def pg(postgres_url: str, tmp_path: Path) -> Iterator[Installation]:
    settings = Settings(environment="test", data_dir=tmp_path / "data", database_url=postgres_url)
    installation = open_installation(settings)
    yield installation
    installation.dispose()


def all_at_once(installation: Installation, calls: list[Callable[..., T]]) -> list[T | Exception]:
    """Run each call in its own thread with its own session, released together by a barrier."""
    barrier = threading.Barrier(len(calls))
    results: list[T | Exception] = [RuntimeError("did not run")] * len(calls)

    def worker(index: int) -> None:
        with installation.session_factory() as db_session:
            barrier.wait()
            try:
                results[index] = calls[index](db_session)
            except LockerError as error:
                results[index] = error

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_couriers_depositing_at_once_never_share_a_compartment(pg: Installation) -> None:
    policy = LockerPolicy(secret_key=SECRET)
    with pg.session_factory() as db_session:
        site = make_site(db_session, compartments={"S": 8, "M": 4})
        _, token = parcels.create_courier(db_session=db_session, name="Rapide")
        lockers = Lockers(db_session, policy, site, token)
        for n in range(8):
            lockers.paid(f"order-{n}", size="S")  # each holds an S; they arrive needing an M

    def deposit_m(order_ref: str) -> Callable[..., flows.Deposit]:
        return lambda db_session: flows.deposit(
            db_session=db_session,
            courier_token=token,
            site_id=site.id,
            order_ref=order_ref,
            size="M",
            policy=policy,
            now=NOW,
        )

    results = all_at_once(pg, [deposit_m(f"order-{n}") for n in range(8)])
    deposited = [r.compartment for r in results if isinstance(r, flows.Deposit)]
    refused = [r for r in results if isinstance(r, NoRoom)]
    assert sorted(deposited) == ["A09", "A10", "B01", "B02"]  # the four Ms, each once
    assert len(refused) == 4
    with pg.session_factory() as db_session:
        states = compartment_states(db_session, site)
    assert sorted(states.values()).count("occupied") == 4
    assert sorted(states.values()).count("reserved") == 4  # the refused keep their S


def test_one_code_used_twice_at_once_opens_once(pg: Installation) -> None:
    policy = LockerPolicy(secret_key=SECRET)
    with pg.session_factory() as db_session:
        site = make_site(db_session, compartments={"S": 5})
        _, token = parcels.create_courier(db_session=db_session, name="Rapide")
        lockers = Lockers(db_session, policy, site, token)
        codes = []
        for n in range(5):
            lockers.paid(f"order-{n}")
            flows.deposit(
                db_session=db_session,
                courier_token=token,
                site_id=site.id,
                order_ref=f"order-{n}",
                policy=policy,
                now=NOW,
            )
            codes.append(code_sent_to(db_session, f"order-{n}@example.com"))

    def use(code: str, client: str) -> Callable[..., pickup_service.Pickup]:
        return lambda db_session: pickup_service.pickup(
            db_session=db_session, site_id=site.id, code=code, client=client, policy=policy, now=NOW
        )

    for code in codes:
        results = all_at_once(pg, [use(code, "kiosk"), use(code, "phone"), use(code, "api")])
        opened = [r for r in results if isinstance(r, pickup_service.Pickup)]
        refused = [r.problem for r in results if isinstance(r, PickupRefused)]
        assert len(opened) == 1 and refused == ["already_used", "already_used"]
    with pg.session_factory() as db_session:
        assert set(compartment_states(db_session, site).values()) == {"free"}

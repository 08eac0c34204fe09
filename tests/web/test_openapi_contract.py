"""The OpenAPI document tells the truth: schemathesis finds nothing to report on any operation.

Schemathesis' own engine (what `schemathesis run` drives) runs in-process against the app over
a small shop with real rows: a showroom displaying three products, a live session on air,
locker sites, carts, a paid locker order waiting for its courier and a parcel waiting for its
shopper. Every phase (examples, coverage, fuzzing, stateful), every check, a fixed seed, a
bounded number of examples per operation; courier calls carry a real courier token and
operator calls a real session cookie with its CSRF header. Each operation's explicit example
uses those rows, so its documented success is checked too, not only its refusals.

Bigger, by hand (examples per operation, default 12; another seed explores other inputs):
    VITRINE_CONTRACT_EXAMPLES=200 VITRINE_CONTRACT_SEED=7 \
        pytest tests/web/test_openapi_contract.py -s -p no:cacheprovider
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from schemathesis import auths
from schemathesis.engine import events, from_schema
from schemathesis.engine.statistic import Statistic
from schemathesis.python import asgi

from tests.search.test_service import _add_product, _cropped
from tests.web.conftest import csrf_of, log_in
from vitrine.accounts.service import create_operator
from vitrine.catalog import service as catalog
from vitrine.catalog import stock_service
from vitrine.db import utc_now
from vitrine.installation import Installation, open_installation
from vitrine.live import service as live
from vitrine.lockers import attempts, flows
from vitrine.lockers import parcel_service as parcels
from vitrine.lockers import site_service as sites
from vitrine.lockers.pickup import service as pickup_service
from vitrine.lockers.policy import policy_from_settings
from vitrine.search.service import SearchEngine
from vitrine.settings import Settings
from vitrine.showrooms import service as showrooms
from vitrine.web.app import create_app
from vitrine.web.security import SESSION_COOKIE

# Read at import: the suite's autouse fixture hides VITRINE_* variables from the tests.
EXAMPLES = int(os.environ.get("VITRINE_CONTRACT_EXAMPLES", "12"))
SEED = int(os.environ.get("VITRINE_CONTRACT_SEED", "20240612"))
MAX_UPLOAD = 256 * 1024
OPERATOR = ("ops@shop.fr", "ops-password-1")
CARD = {"number": "4242424242424242", "expiry_month": 12, "expiry_year": 2030, "cvc": "123"}
HOME = {
    "email": "lea@example.fr",
    "delivery_method": "home",
    "recipient_name": "Léa",
    "address_line": "12 rue Rambuteau",
    "postcode": "75003",
    "city": "Paris",
}
KINDS = ("tin", "bottle", "stripes")
# What a schema-valid request may be answered (schemathesis' default for positive data), and
# per operation what else a well-formed request may get: a declined card, and bytes that are
# not a picture (no JSON Schema keyword says "decodes as an image"; the 400 says it in words).
ACCEPTED = ["2XX", "3XX", "401", "403", "404", "409", "429", "5XX"]
# What a schema-violating request may be answered: schemathesis' default, and 413 for a file
# over the upload limit (the document's maxLength), refused before it is read whole.
REFUSED = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429"]
WELL_FORMED_YET_REFUSED = {
    "/api/v1/checkout": ["402"],
    "/api/v1/search": ["400"],
    "/api/v1/showrooms/{slug}/products/{product_id}/enrollment": ["400"],
}

pytestmark = [
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
    pytest.mark.slow,
]


@dataclass
class Shop:
    """The app over a seeded installation, and the ids and secrets its examples use."""

    app: FastAPI
    courier_token: str
    session_cookie: str
    csrf_token: str
    rows: dict[str, str] = field(default_factory=dict)


@pytest.fixture
def shop(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Shop]:
    # A typed code's wait after wrong ones is a wall-clock sleep (2 to 16 s); its statuses and
    # bodies are the same without it, and the 429 that follows is still reached.
    monkeypatch.setattr(attempts, "client_wait", lambda failures: timedelta(0))
    installation = open_installation(settings.model_copy(update={"max_upload_bytes": MAX_UPLOAD}))
    rows = _seed_catalog(installation)
    engine = SearchEngine(index_dir=installation.settings.index_dir, media=installation.media)
    with installation.session_factory() as session:
        engine.sync(db_session=session)
    app = create_app(installation, search_engine=engine)
    with TestClient(app) as client:
        rows |= _seed_orders(client, installation, rows)
        log_in(client, *OPERATOR)
        csrf = csrf_of(client, "/operator/login")
        cookie = client.cookies.get(SESSION_COOKIE)
        assert cookie
        with installation.session_factory() as session:
            _, courier_token = parcels.create_courier(db_session=session, name="Rapide")
        yield Shop(app, courier_token, cookie, csrf, rows)
    asgi.shutdown_lifespans()  # schemathesis started the app's lifespan: stop its engines
    installation.dispose()


def _seed_catalog(installation: Installation) -> dict[str, str]:
    with installation.session_factory() as session, session.begin():
        products = {kind: _add_product(session, installation, kind.upper(), kind) for kind in KINDS}
        variants = {}
        for kind, product_id in products.items():
            product = catalog.get_product(db_session=session, product_id=product_id)
            assert product is not None
            variants[kind] = product.variants[0].id
            stock_service.set_stock(
                db_session=session, variant_id=variants[kind], warehouse_code="main", on_hand=500
            )
        room = showrooms.create_showroom(
            db_session=session, slug="corner", name="Corner", currency="EUR"
        )
        showrooms.put_on_display(
            db_session=session, showroom=room, product_ids=[*products.values()]
        )
        on_air = live.create_session(
            db_session=session,
            showroom_id=room.id,
            title="Soups",
            scheduled_at=utc_now(),
            playback_url="https://video.example/soups.m3u8",
        )
        live.start_session(db_session=session, live=on_air)
        create_operator(db_session=session, email=OPERATOR[0], password=OPERATOR[1], role="admin")
        live_id = on_air.id
    with installation.session_factory() as session:
        site = sites.create_site(
            db_session=session,
            name="Rambuteau",
            address="1 rue Rambuteau, Paris",
            latitude=48.861,
            longitude=2.349,
            compartments={"S": 6, "M": 4, "L": 2},
        )
        site_id = site.id
    return {
        **{f"product_{kind}": product_id for kind, product_id in products.items()},
        **{f"variant_{kind}": variant_id for kind, variant_id in variants.items()},
        "showroom": "corner",
        "live": live_id,
        "site": site_id,
    }


def _seed_orders(
    client: TestClient, installation: Installation, rows: dict[str, str]
) -> dict[str, str]:
    """Carts, a home order, a paid locker order for the courier and a parcel to pick up."""
    locker = {
        "email": "lea@example.fr",
        "delivery_method": "locker",
        "locker_site_id": rows["site"],
    }
    home_token = _checkout(client, _cart(client, rows["variant_tin"]), HOME)
    to_deposit = _checkout(client, _cart(client, rows["variant_bottle"]), locker)
    to_pick = _checkout(client, _cart(client, rows["variant_stripes"]), locker)
    policy = policy_from_settings(installation.settings)
    with installation.session_factory() as session:
        _, courier = parcels.create_courier(db_session=session, name="Seed")
        pick_order = _order_id(installation, to_pick)
        flows.deposit(
            db_session=session,
            courier_token=courier,
            site_id=rows["site"],
            order_ref=pick_order,
            policy=policy,
        )
        qr_token = pickup_service.pickup_token_for_order(
            db_session=session, order_ref=pick_order, secret_key=installation.settings.secret_key
        )
    assert qr_token is not None
    return {
        "cart": _cart(client, rows["variant_tin"]),
        "cart_to_check_out": _cart(client, rows["variant_bottle"]),
        "tracking_token": home_token,
        "order_to_deposit": _order_id(installation, to_deposit),
        "pickup_token": qr_token,
    }


def _cart(client: TestClient, variant_id: str) -> str:
    cart_id = str(client.post("/api/v1/carts").json()["id"])
    put = client.put(f"/api/v1/carts/{cart_id}/items/{variant_id}", json={"quantity": 1})
    assert put.status_code == 200, put.text
    return cart_id


def _checkout(client: TestClient, cart_id: str, details: dict[str, str]) -> str:
    body = {
        "cart_id": cart_id,
        "idempotency_key": secrets.token_urlsafe(16),
        "details": details,
        "card": CARD,
    }
    response = client.post("/api/v1/checkout", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["tracking_token"])


def _order_id(installation: Installation, tracking_token: str) -> str:
    from vitrine.orders import service as orders

    with installation.session_factory() as session:
        order = orders.get_order_by_tracking(db_session=session, tracking_token=tracking_token)
        assert order is not None
        return order.id


def _examples(shop: Shop) -> dict[str, list[dict[str, Any]]]:
    """One request per operation that its documented success should answer."""
    rows, photo = shop.rows, _cropped("tin")
    site, cart = rows["site"], rows["cart"]
    return {
        "GET /api/v1/products/{product_id}": [
            {"path_parameters": {"product_id": rows["product_tin"]}}
        ],
        "GET /api/v1/showrooms/{slug}": [{"path_parameters": {"slug": rows["showroom"]}}],
        "GET /api/v1/live/{session_id}": [{"path_parameters": {"session_id": rows["live"]}}],
        "POST /api/v1/live/{session_id}/pins": [
            {
                "path_parameters": {"session_id": rows["live"]},
                "body": {"product_id": rows["product_bottle"], "carousel": False},
            }
        ],
        "GET /api/v1/lockers/sites/{site_id}": [{"path_parameters": {"site_id": site}}],
        "POST /api/v1/lockers/deposits": [
            {"body": {"site_id": site, "order_ref": rows["order_to_deposit"]}}
        ],
        "POST /api/v1/lockers/sites/{site_id}/returns": [{"path_parameters": {"site_id": site}}],
        "POST /api/v1/lockers/sites/{site_id}/pickup": [
            {"path_parameters": {"site_id": site}, "body": {"code": rows["pickup_token"]}}
        ],
        "GET /api/v1/carts/{cart_id}": [{"path_parameters": {"cart_id": cart}}],
        "PUT /api/v1/carts/{cart_id}/items/{variant_id}": [
            {
                "path_parameters": {"cart_id": cart, "variant_id": rows["variant_stripes"]},
                "body": {"quantity": 2},
            }
        ],
        "DELETE /api/v1/carts/{cart_id}/items/{variant_id}": [
            {"path_parameters": {"cart_id": cart, "variant_id": rows["variant_tin"]}}
        ],
        "POST /api/v1/checkout": [
            {
                "body": {
                    "cart_id": rows["cart_to_check_out"],
                    "idempotency_key": "contract-checkout-0001",
                    "details": HOME,
                    "card": CARD,
                }
            }
        ],
        "GET /api/v1/orders/{tracking_token}": [
            {"path_parameters": {"tracking_token": rows["tracking_token"]}}
        ],
        "POST /api/v1/search": [
            {
                "body": {"image": photo, "showroom": rows["showroom"], "limit": 3},
                "media_type": "multipart/form-data",
            }
        ],
        "POST /api/v1/showrooms/{slug}/products/{product_id}/enrollment": [
            {
                "path_parameters": {"slug": rows["showroom"], "product_id": rows["product_tin"]},
                "body": {"photos": [photo]},
                "media_type": "multipart/form-data",
            }
        ],
    }


def _config(shop: Shop) -> schemathesis.Config:
    operations = [
        {
            "include-path": path,
            "checks": {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, *statuses]}},
        }
        for path, statuses in WELL_FORMED_YET_REFUSED.items()
    ]
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "workers": 1,
            "generation": {"max-examples": EXAMPLES, "deterministic": True, "database": "none"},
            "suppress-health-check": ["all"],
            "cache": {"enabled": False},  # nothing carried over from an earlier run
            "checks": {"negative_data_rejection": {"expected-statuses": REFUSED}},
            "auth": {
                "openapi": {
                    "CourierToken": {"bearer": shop.courier_token},
                    "OperatorSession": {"api_key": shop.session_cookie},
                    "CsrfToken": {"api_key": shop.csrf_token},
                }
            },
            "operations": operations,
        }
    )


@dataclass
class Report:
    statistic: Statistic = field(default_factory=Statistic)
    statuses: dict[str, set[int]] = field(default_factory=dict)  # by operation
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def describe(self) -> str:
        lines = [
            f"{len(self.statistic.tested_operations)} operations, "
            f"{self.statistic.total_cases} requests, {self.statistic.total_failures} failures, "
            f"{len(self.errors)} errors in {self.seconds:.0f} s"
        ]
        for label, groups in sorted(self.statistic.failures.items()):
            for group in groups.values():
                titles = "; ".join(f"{f.title}: {f.message}" for f in group.failures)
                lines.append(f"- {label}: {titles}\n  {(group.code_sample or '')[:800]}")
        lines.extend(f"- error: {error}" for error in self.errors)
        return "\n".join(lines)


def run_schemathesis(shop: Shop) -> Report:
    schema = schemathesis.openapi.from_asgi("/openapi.json", shop.app, config=_config(shop))
    examples = _examples(shop)

    @schema.hook
    def before_add_examples(context: schemathesis.HookContext, cases: list[Any]) -> None:
        operation = context.operation
        assert operation is not None
        for parts in examples.get(operation.label, []):
            case = operation.Case(**parts)
            # The credentials of the configuration, as schemathesis gives its generated cases.
            auths.set_on_case(
                case, schemathesis.AuthContext(operation=operation, app=shop.app), None
            )
            cases.append(case)

    report, started = Report(), time.monotonic()

    @schema.hook
    def after_call(context: schemathesis.HookContext, case: Any, response: Any) -> None:
        report.statuses.setdefault(case.operation.label, set()).add(response.status_code)

    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished) and event.is_test_scenario:
            report.statistic.on_scenario_finished(event.recorder)
        elif isinstance(event, events.NonFatalError):
            report.errors.append(f"{event.label}: {event.info.title}: {event.info}")
        elif isinstance(event, events.FatalError):
            report.errors.append(repr(event.exception))
        elif isinstance(event, events.EngineFinished) and event.failures:
            report.statistic.record_run_check_failures(event.failures, label="after run")
    report.seconds = time.monotonic() - started
    return report


def test_schemathesis_finds_no_failure_on_any_operation(shop: Shop, tmp_path: Path) -> None:
    report = run_schemathesis(shop)
    (tmp_path / "schemathesis.txt").write_text(report.describe())
    print(report.describe())
    assert not report.errors and report.statistic.total_failures == 0, report.describe()
    documented = {
        f"{method.upper()} {path}"
        for path, methods in shop.app.openapi()["paths"].items()
        for method in methods
    }
    assert report.statistic.tested_operations == documented, report.describe()
    # The seeded rows are right: every operation also answered its documented success.
    unsucceeded = {
        label: sorted(statuses)
        for label, statuses in report.statuses.items()
        if not any(200 <= status < 300 for status in statuses)
    }
    assert set(report.statuses) == documented and not unsucceeded, unsucceeded

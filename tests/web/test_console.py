"""Operator console: showrooms, display items, QR shelf tags that decode, and the dashboard."""

from __future__ import annotations

import re

import cv2
import numpy as np
import pypdfium2
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.web.conftest import csrf_of, first_variant, log_in
from vitrine.accounts.service import create_operator
from vitrine.installation import Installation
from vitrine.showrooms.models import Showroom


def _showroom_id(installation: Installation, slug: str = "les-halles") -> str:
    with installation.session_factory() as session:
        showroom = session.scalars(select(Showroom).where(Showroom.slug == slug)).one()
        return showroom.id


def _decode_qr(pixels: np.ndarray) -> str:
    text, _points, _ = cv2.QRCodeDetector().detectAndDecode(pixels)
    return str(text)


def test_an_admin_creates_a_showroom_and_displays_products(admin_client: TestClient) -> None:
    csrf = csrf_of(admin_client, "/operator")
    created = admin_client.post(
        "/operator/showrooms",
        data={
            "name": "Vitrine Lyon",
            "slug": "lyon",
            "address": "Rue de la République",
            "csrf_token": csrf,
        },
        follow_redirects=False,
    )
    assert created.status_code == 303
    page_url = created.headers["location"]
    search = admin_client.get(page_url, params={"q": "juice"}).text
    product_ids = re.findall(r'name="product_id" value="([0-9a-f]{32})"', search)
    assert len(product_ids) == 10
    added = admin_client.post(
        page_url + "/display", data={"product_id": product_ids[:3], "csrf_token": csrf}
    )
    assert "3 products put on display" in added.text
    assert admin_client.get("/s/lyon").text.count('class="card"') == 3


def test_a_sku_file_with_unknown_skus_adds_nothing(
    admin_client: TestClient, demo_installation: Installation
) -> None:
    csrf = csrf_of(admin_client, "/operator")
    admin_client.post(
        "/operator/showrooms", data={"name": "Pop-up", "slug": "pop-up", "csrf_token": csrf}
    )
    showroom_id = _showroom_id(demo_installation, "pop-up")
    bad = b"sku\nGRO-KIWI\nNOT-A-SKU\n"
    response = admin_client.post(
        f"/operator/showrooms/{showroom_id}/display/skus",
        files={"skus_file": ("skus.csv", bad, "text/csv")},
        data={"csrf_token": csrf},
    )
    assert response.status_code == 400
    assert "unknown SKUs, nothing was added: NOT-A-SKU" in response.text
    assert admin_client.get("/s/pop-up").text.count('class="card"') == 0
    good = admin_client.post(
        f"/operator/showrooms/{showroom_id}/display/skus",
        files={"skus_file": ("skus.csv", b"GRO-KIWI\nGRO-LIME\n", "text/csv")},
        data={"csrf_token": csrf},
    )
    assert "2 products put on display" in good.text
    binary = admin_client.post(
        f"/operator/showrooms/{showroom_id}/display/skus",
        files={"skus_file": ("x.csv", b"\xff\xfe\x00", "text/csv")},
        data={"csrf_token": csrf},
    )
    assert "not UTF-8" in binary.text


def test_the_qr_tag_pdf_decodes_back_to_the_tag_url(
    admin_client: TestClient, demo_installation: Installation
) -> None:
    showroom_id = _showroom_id(demo_installation)
    response = admin_client.get(f"/operator/showrooms/{showroom_id}/tags.pdf")
    assert response.headers["content-type"] == "application/pdf"
    document = pypdfium2.PdfDocument(response.content)
    assert len(document) == 6  # 81 tags, 15 per A4 page
    page = document[0].render(scale=300 / 72).to_numpy()
    first_tag = page[: page.shape[0] // 5, : page.shape[1] // 3 + 60]
    url = _decode_qr(cv2.cvtColor(first_tag, cv2.COLOR_RGB2GRAY))
    assert re.fullmatch(r"http://testserver/p/[2-9A-HJ-NP-Z]{8}", url), url
    landing = admin_client.get(url.replace("http://testserver", ""), follow_redirects=False)
    assert landing.status_code == 303
    assert landing.headers["location"].startswith("/products/")


def test_a_single_tag_png_decodes_and_tags_of_other_showrooms_are_hidden(
    admin_client: TestClient, demo_installation: Installation
) -> None:
    showroom_id = _showroom_id(demo_installation)
    pdf_page = admin_client.get(f"/operator/showrooms/{showroom_id}/tags.pdf")
    assert pdf_page.status_code == 200
    with demo_installation.session_factory() as session:
        from vitrine.showrooms.models import ShelfTag

        code = session.scalars(select(ShelfTag.code)).first()
    png = admin_client.get(f"/operator/showrooms/{showroom_id}/tags/{code}.png").content
    pixels = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_GRAYSCALE)
    assert _decode_qr(pixels) == f"http://testserver/p/{code}"
    assert admin_client.get(f"/operator/showrooms/nope/tags/{code}.png").status_code == 404


def test_the_dashboard_counts_the_scripted_shopper_events(
    admin_client: TestClient, demo_installation: Installation
) -> None:
    showroom_id = _showroom_id(demo_installation)
    product_id, variant_id = first_variant(admin_client, "Granny Smith")
    shopper = TestClient(admin_client.app)
    shopper.get("/s/les-halles")
    shopper.get(f"/products/{product_id}")
    shopper.get(f"/products/{product_id}")
    shopper.post(
        "/cart/lines", data={"variant_id": variant_id, "csrf_token": csrf_of(shopper, "/cart")}
    )
    assert admin_client.app.state.event_recorder.flush()  # type: ignore[attr-defined]
    page = admin_client.get(f"/operator/showrooms/{showroom_id}/dashboard").text
    assert re.search(r'data-testid="visitors">(\d+)<', page).group(1) == "1"  # type: ignore[union-attr]
    funnel = admin_client.get(f"/operator/showrooms/{showroom_id}/dashboard/funnel.csv").text
    assert "Granny Smith,2,0,0,1,0,0.0" in funnel
    assert "<svg" in page
    assert (
        admin_client.get(f"/operator/showrooms/{showroom_id}/dashboard/nope.csv").status_code == 404
    )
    assert (
        admin_client.get(
            f"/operator/showrooms/{showroom_id}/dashboard",
            params={"from": "2026-02-01", "to": "2026-01-01"},
        ).status_code
        == 422
    )


def test_staff_cannot_create_showrooms(client: TestClient, demo_installation: Installation) -> None:
    with demo_installation.session_factory() as session, session.begin():
        create_operator(
            db_session=session, email="staff@shop.fr", password="staff-password-1", role="staff"
        )
    log_in(client, "staff@shop.fr", "staff-password-1")
    response = client.post(
        "/operator/showrooms",
        data={"name": "X", "slug": "xx", "csrf_token": csrf_of(client, "/operator")},
    )
    assert response.status_code == 403
    assert client.get("/s/xx").status_code == 404


def test_unknown_showroom_ids_are_404(admin_client: TestClient) -> None:
    assert (
        admin_client.get("/operator/showrooms/0123456789abcdef0123456789abcdef").status_code == 404
    )


def test_showroom_settings_are_validated(
    admin_client: TestClient, demo_installation: Installation
) -> None:
    showroom_id = _showroom_id(demo_installation)
    url = f"/operator/showrooms/{showroom_id}/settings"
    csrf = csrf_of(admin_client, "/operator")
    base = {
        "name": "Les Halles",
        "csrf_token": csrf,
        "home_delivery_days": "3-5",
        "locker_delivery_days": "2",
    }
    backwards = admin_client.post(
        url, data={**base, "opens_on": "2026-12-01", "closes_on": "2026-11-01"}
    )
    assert (backwards.status_code, "closes before it opens" in backwards.text) == (400, True)
    nonsense = admin_client.post(url, data={**base, "home_delivery_days": "soon"})
    assert (nonsense.status_code, "must be days like 2 or 3-5" in nonsense.text) == (400, True)
    bad_date = admin_client.post(url, data={**base, "opens_on": "tomorrow"})
    assert (bad_date.status_code, "is not a date" in bad_date.text) == (400, True)
    saved = admin_client.post(
        url, data={**base, "home_delivery_days": "2-4", "opens_on": "2026-11-20"}
    )
    assert (saved.status_code, "showroom saved" in saved.text) == (200, True)
    product_id, _ = first_variant(admin_client, "Kiwi")
    admin_client.get("/s/les-halles")  # the shopper's showroom gives the delivery promises
    assert "Home delivery in 2-4 days" in admin_client.get(f"/products/{product_id}").text


def test_not_this_one_flags_the_confused_product(
    admin_client: TestClient, demo_installation: Installation
) -> None:
    showroom_id = _showroom_id(demo_installation)
    product_id, _ = first_variant(admin_client, "Kiwi")
    shopper = TestClient(admin_client.app)
    shopper.post(
        "/s/les-halles/not-this-one",
        data={"product_id": product_id, "csrf_token": csrf_of(shopper, "/cart")},
    )
    assert admin_client.app.state.event_recorder.flush(30)  # type: ignore[attr-defined]
    page = admin_client.get(f"/operator/showrooms/{showroom_id}").text
    assert "1 × confused" in page


def test_checkout_and_payment_are_counted(
    admin_client: TestClient, demo_installation: Installation
) -> None:
    from vitrine.analytics.models import ShopperEvent

    _buy_kiwi_at_home(admin_client)
    assert admin_client.app.state.event_recorder.flush()  # type: ignore[attr-defined]
    with demo_installation.session_factory() as session:
        kinds = [e.kind for e in session.scalars(select(ShopperEvent).order_by(ShopperEvent.at))]
    assert kinds[-3:] == ["checkout", "payment", "order"]
    figures = admin_client.get(
        f"/operator/showrooms/{_showroom_id(demo_installation)}/dashboard/summary.csv"
    ).text
    assert "orders,1" in figures


def test_operators_move_orders_on_from_the_console(
    admin_client: TestClient, demo_installation: Installation
) -> None:
    _buy_kiwi_at_home(admin_client)
    showroom_id = _showroom_id(demo_installation)
    page = admin_client.get(f"/operator/showrooms/{showroom_id}/orders").text
    order_id = re.search(r'action="/operator/orders/([0-9a-f]{32})/state"', page)
    assert order_id is not None
    url = f"/operator/orders/{order_id.group(1)}/state"
    csrf = csrf_of(admin_client, "/operator")
    moved = admin_client.post(
        url, data={"target": "packed", "csrf_token": csrf}, follow_redirects=False
    )
    assert moved.status_code == 303
    illegal = admin_client.post(url, data={"target": "picked_up", "csrf_token": csrf})
    assert (illegal.status_code, "cannot become picked_up" in illegal.text) == (409, True)
    assert (
        TestClient(admin_client.app)
        .post(url, data={"target": "shipped"}, follow_redirects=False)
        .status_code
        == 303
    )
    assert ">packed<" in admin_client.get(f"/operator/showrooms/{showroom_id}/orders").text


def test_the_orders_list_names_its_actions_and_hides_failed_payments(
    admin_client: TestClient, demo_installation: Installation
) -> None:
    showroom_id = _showroom_id(demo_installation)
    orders_url = f"/operator/showrooms/{showroom_id}/orders"
    empty = admin_client.get(orders_url).text
    assert 'data-testid="no-orders"' in empty and "once a shopper has checked out" in empty
    _buy_kiwi_at_home(admin_client, card="4000000000000002", status=402)  # declined
    _buy_kiwi_at_home(admin_client)
    page = admin_client.get(orders_url).text
    numbers = re.findall(r'data-testid="order-number">([0-9A-F]{8})<', page)
    assert len(numbers) == 1  # the paid order; the failed payment is not listed
    assert ">Mark as packed</button>" in page and ">Refund</button>" in page
    assert ">packed<" not in page.replace(">Mark as packed<", "")
    every = admin_client.get(orders_url, params={"show": "all"}).text
    assert numbers[0] in every
    assert every.count('data-testid="order-number"') >= 1
    assert admin_client.get(orders_url, params={"show": "bogus"}).status_code == 422


def _buy_kiwi_at_home(
    admin_client: TestClient, card: str = "4242424242424242", status: int = 303
) -> None:
    """A scripted shopper in the demo showroom buys a kiwi bag, delivered home."""
    _, variant_id = first_variant(admin_client, "Kiwi")
    shopper = TestClient(admin_client.app)
    shopper.get("/s/les-halles")
    csrf = csrf_of(shopper, "/cart")
    shopper.post("/cart/lines", data={"variant_id": variant_id, "csrf_token": csrf})
    key = re.search(r'name="idempotency_key" value="([^"]+)"', shopper.get("/checkout").text)
    assert key is not None
    form = {
        "email": "a@b.fr",
        "delivery_method": "home",
        "recipient_name": "A",
        "address_line": "1 rue X",
        "postcode": "75001",
        "city": "Paris",
        "card_number": card,
        "expiry": "12/30",
        "cvc": "123",
        "idempotency_key": key.group(1),
        "csrf_token": csrf,
    }
    assert shopper.post("/checkout", data=form, follow_redirects=False).status_code == status


def test_the_dashboard_shows_events_that_could_not_be_recorded(
    admin_client: TestClient, demo_installation: Installation
) -> None:
    import threading

    from tests.analytics.test_event_service import _writer_waits_at_the_gate, gated
    from vitrine.analytics.event_service import EventRecorder

    showroom_id = _showroom_id(demo_installation)
    app = admin_client.app
    app.state.event_recorder.close()  # type: ignore[attr-defined]
    gate = threading.Event()
    recorder = EventRecorder(gated(demo_installation, gate), capacity=1)  # type: ignore[arg-type]
    app.state.event_recorder = recorder  # type: ignore[attr-defined]
    shopper = TestClient(app)
    assert shopper.get("/s/les-halles").status_code == 200
    _writer_waits_at_the_gate(recorder)
    for _ in range(5):  # the writer waits at the gate: one taken, one queued, the rest dropped
        assert shopper.get("/s/les-halles").status_code == 200
    dashboard = f"/operator/showrooms/{showroom_id}/dashboard"
    dropped = re.search(
        r'data-testid="dropped-events"><strong>(\d+)<', admin_client.get(dashboard).text
    )
    assert dropped is not None and int(dropped.group(1)) == 4
    gate.set()
    assert recorder.flush(30)
    recorder.record("landing", showroom_id=showroom_id)  # carries the counts to the database
    assert recorder.flush(30)
    page = admin_client.get(dashboard).text
    assert f'data-testid="dropped-events"><strong>{dropped.group(1)}<' in page
    summary = admin_client.get(f"{dashboard}/summary.csv").text
    assert f"dropped_events,{dropped.group(1)}" in summary

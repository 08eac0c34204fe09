"""The pickup email through a real SMTP server: text, HTML and the QR inline, which decodes back
to what the kiosk accepts; a relay that keeps refusing leads to a dead letter."""

from __future__ import annotations

from datetime import timedelta

from tests.lockers.conftest import NOW, SECRET, Lockers, code_sent_to
from tests.lockers.test_pickup import deposited
from tests.notifications.smtp_server import decode_qr, smtp_server
from vitrine.lockers import flows
from vitrine.lockers.pickup import service as pickup_service
from vitrine.notifications import service as outbox
from vitrine.notifications.models import OutboxMessage
from vitrine.notifications.sealing import Sealer
from vitrine.notifications.senders import SmtpSender


def _delivery(port: int) -> outbox.Delivery:
    sender = SmtpSender("127.0.0.1", port, "Vitrine <shop@example.com>", "none", timeout=5)
    return outbox.Delivery(
        senders={"email": sender}, sealer=Sealer(SECRET), public_url="https://shop.example"
    )


def test_the_pickup_email_arrives_with_its_qr_inline(lockers: Lockers) -> None:
    parcel = lockers.paid("order-1")
    parcel.order_path = "/orders/tracking-token"  # set by checkout in the shop
    lockers.db_session.commit()
    flows.deposit(
        db_session=lockers.db_session,
        courier_token=lockers.courier_token,
        site_id=lockers.site.id,
        order_ref="order-1",
        policy=lockers.policy,
        now=NOW,
    )
    code = code_sent_to(lockers.db_session, "order-1@example.com")
    with smtp_server() as server:
        report = flows.housekeeping(
            db_session=lockers.db_session,
            policy=lockers.policy,
            delivery=_delivery(server.port),
            now=NOW + timedelta(minutes=5),
        )
    assert report.messages.sent == 1
    [email] = server.mailbox.received
    assert server.mailbox.recipients == [["order-1@example.com"]]
    assert email["Subject"] == "Your parcel is ready at Les Halles"
    text = email.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert f"Pickup code: {code[:3]} {code[3:6]} {code[6:]}" in text
    assert "https://shop.example/orders/tracking-token" in text and "\\n" not in text
    html = email.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert '<img src="cid:pickup-qr"' in html
    [image] = [part for part in email.walk() if part.get_content_type() == "image/png"]
    assert image["Content-ID"] == "<pickup-qr>"
    decoded = decode_qr(image.get_content())
    assert decoded.startswith("VP1-")  # the signed token: the kiosk opens at once with it
    opened = pickup_service.pickup_with_token(
        db_session=lockers.db_session,
        site_id=lockers.site.id,
        token=decoded,
        client="kiosk-scanner",
        policy=lockers.policy,
        now=NOW + timedelta(minutes=6),
    )
    assert opened.compartment == "A01"


def test_a_relay_that_keeps_refusing_leads_to_a_dead_letter(lockers: Lockers) -> None:
    deposited(lockers, "order-1")
    db = lockers.db_session
    with smtp_server() as server:
        server.mailbox.reject = True
        now = NOW
        for _ in range(6):
            [message] = outbox.pending_messages(db_session=db)
            now = max(now, message.next_attempt_at or now)
            outbox.send_pending(db_session=db, delivery=_delivery(server.port), now=now)
        [message] = db.query(OutboxMessage).all()
        assert outbox.state_of(message) == "dead" and message.attempts == 6
        assert message.last_error is not None and "554" in message.last_error
        assert message.sealed is not None  # kept sealed, so a retry can still send the code
        server.mailbox.reject = False
        outbox.retry(db_session=db, message_id=message.id)
        report = outbox.send_pending(db_session=db, delivery=_delivery(server.port), now=now)
    assert report.sent == 1 and len(server.mailbox.received) == 1

"""The order confirmation and tracking page, reachable only by its unguessable link."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from vitrine.catalog import service as catalog
from vitrine.catalog.service import localized
from vitrine.i18n.translator import N_
from vitrine.lockers import parcel_service as lockers
from vitrine.lockers.codes import format_code
from vitrine.lockers.errors import LockerError
from vitrine.lockers.pickup.service import pickup_token_for_order
from vitrine.lockers.qr import pickup_qr_svg
from vitrine.notifications import service as outbox
from vitrine.notifications.sealing import Sealer
from vitrine.orders import service as orders
from vitrine.orders.fulfilment import follow_locker
from vitrine.orders.states import journey
from vitrine.web.dependencies import SessionDep, get_installation
from vitrine.web.labels import LOCKER_STATUS
from vitrine.web.shopper import render, shopper_of
from vitrine.web.wiring import checkout_desk

router = APIRouter(include_in_schema=False)
# What the shopper reads beside each message (gettext message ids).
MESSAGE_STATES = {
    "sent": N_("sent"),
    "pending": N_("not sent yet"),
    "retrying": N_("sending, retrying"),
    "dead": N_("could not be sent"),
}


@router.get("/orders/{tracking_token}", response_class=HTMLResponse)
def tracking_page(tracking_token: str, request: Request, db_session: SessionDep) -> Response:
    order = orders.get_order_by_tracking(db_session=db_session, tracking_token=tracking_token)
    if order is None:
        raise HTTPException(status_code=404, detail="No order has this link.")
    if order.delivery_method == "locker":
        follow_locker(desk=checkout_desk(request), order_id=order.id)
        db_session.expire_all()
        order = orders.get_order_by_tracking(db_session=db_session, tracking_token=tracking_token)
        assert order is not None
    shopper = shopper_of(request, db_session)
    locker, pickup = None, None
    if order.delivery_method == "locker":
        secret_key = get_installation(request).settings.secret_key
        try:
            locker = lockers.parcel_status(
                db_session=db_session, order_ref=order.id, sealer=Sealer(secret_key)
            )
        except LockerError:
            locker = None
        token = pickup_token_for_order(
            db_session=db_session, order_ref=order.id, secret_key=secret_key
        )
        if locker is not None and locker.pickup_code is not None and token is not None:
            qr = Markup(pickup_qr_svg(token))  # noqa: S704 (segno SVG of our own token)
            pickup = {"code": format_code(locker.pickup_code), "qr_svg": qr}
    messages = outbox.messages_for(
        db_session=db_session, recipient=order.email or order.phone, since=order.created_at
    )
    products = {
        line.product_id: catalog.get_product(db_session=db_session, product_id=line.product_id)
        for line in order.lines
    }
    line_names = {
        product_id: localized(product, shopper.language)[0]
        for product_id, product in products.items()
        if product is not None
    }
    steps = journey(order.delivery_method)
    context = {
        "order": order,
        "steps": steps,
        "locker": locker,
        "line_names": line_names,
        "locker_status": LOCKER_STATUS,
        "pickup": pickup,
        "message_state": outbox.state_of,
        "message_states": MESSAGE_STATES,
        "messages": messages,
        "reached": steps.index(order.state) if order.state in steps else -1,
        "title": shopper.t("Order %(ref)s", ref=orders.order_number(order.id)),
    }
    return render(request, db_session, shopper, "order.html", context)

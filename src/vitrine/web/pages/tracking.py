"""The order confirmation and tracking page, reachable only by its unguessable link."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from vitrine.lockers import parcel_service as lockers
from vitrine.lockers.errors import LockerError
from vitrine.notifications import service as outbox
from vitrine.orders import service as orders
from vitrine.orders.fulfilment import follow_locker
from vitrine.orders.states import journey
from vitrine.web.dependencies import SessionDep
from vitrine.web.shopper import render, shopper_of
from vitrine.web.wiring import checkout_desk

router = APIRouter(include_in_schema=False)


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
    locker = None
    if order.delivery_method == "locker":
        try:
            locker = lockers.parcel_status(db_session=db_session, order_ref=order.id)
        except LockerError:
            locker = None
    messages = outbox.messages_for(
        db_session=db_session, recipient=order.email or order.phone, since=order.created_at
    )
    steps = journey(order.delivery_method)
    context = {
        "order": order,
        "steps": steps,
        "locker": locker,
        "messages": messages,
        "reached": steps.index(order.state) if order.state in steps else -1,
        "title": shopper.t("order.title", ref=order.id[:8].upper()),
    }
    return render(request, db_session, shopper, "order.html", context)

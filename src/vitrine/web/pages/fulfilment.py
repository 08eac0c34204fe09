"""Operator pages to fulfil orders: a showroom's orders, and moving one on (pack, ship...)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from vitrine.catalog.money import format_price
from vitrine.orders import service as orders
from vitrine.orders.fulfilment import advance, follow_locker
from vitrine.orders.models import Order
from vitrine.orders.states import (
    CANCELLED,
    DELIVERED,
    PACKED,
    PAID,
    PICKED_UP,
    READY_FOR_PICKUP,
    REFUNDED,
    RETURNED,
    SHIPPED,
    TRANSITIONS,
    IllegalTransition,
)
from vitrine.showrooms import service as showrooms
from vitrine.web.dependencies import SessionDep
from vitrine.web.labels import STATE_LABELS
from vitrine.web.pages.templating import templates
from vitrine.web.security import OperatorPageDep, check_csrf, form_csrf_token
from vitrine.web.wiring import checkout_desk

router = APIRouter(prefix="/operator", include_in_schema=False)


# What the button that moves an order there says.
ACTIONS = {
    PAID: "Mark as paid",
    PACKED: "Mark as packed",
    SHIPPED: "Mark as shipped",
    DELIVERED: "Mark as delivered",
    READY_FOR_PICKUP: "Mark as ready for pickup",
    PICKED_UP: "Mark as picked up",
    RETURNED: "Mark as returned to sender",
    CANCELLED: "Cancel the order",
    REFUNDED: "Refund",
}


def failed_payment(order: Order) -> bool:
    """A checkout whose payment never went through: cancelled without ever being paid."""
    return order.state == CANCELLED and all(event.to_state != PAID for event in order.events)


@router.get("/showrooms/{showroom_id}/orders", response_class=HTMLResponse)
def orders_page(
    showroom_id: str,
    request: Request,
    operator: OperatorPageDep,
    db_session: SessionDep,
    show: Annotated[str, Query(max_length=8, pattern="^(all)?$")] = "",
) -> Response:
    showroom = showrooms.get_showroom(db_session=db_session, showroom_id=showroom_id)
    if showroom is None:
        raise HTTPException(status_code=404, detail="no such showroom")
    listed = orders.list_orders(db_session=db_session, showroom_id=showroom.id)
    for order in listed:
        follow_locker(desk=checkout_desk(request), order_id=order.id)
    db_session.expire_all()
    listed = orders.list_orders(db_session=db_session, showroom_id=showroom.id)
    shown = listed if show == "all" else [order for order in listed if not failed_payment(order)]
    context = {
        "title": f"{showroom.name}: orders",
        "operator": operator,
        "showroom": showroom,
        "orders": shown,
        "show_all": show == "all",
        "hidden": len(listed) - len(shown),
        "next_states": {state: _in_order(targets) for state, targets in TRANSITIONS.items()},
        "actions": ACTIONS,
        "state_names": {state: label.lower() for state, label in STATE_LABELS.items()},
        "price": format_price,
        "csrf_token": form_csrf_token(request),
    }
    return templates.TemplateResponse(request, "operator_orders.html", context)


def _in_order(targets: frozenset[str]) -> list[str]:
    """The forward step first, then cancelling or refunding."""
    return sorted(targets, key=lambda target: (target in (CANCELLED, REFUNDED), target))


@router.post("/orders/{order_id}/state")
def move_order(
    order_id: str,
    request: Request,
    operator: OperatorPageDep,
    db_session: SessionDep,
    target: Annotated[str, Form(max_length=24)],
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf_token)
    order = orders.get_order(db_session=db_session, order_id=order_id)
    if order is None:
        raise HTTPException(status_code=404, detail="no such order")
    showroom_id = order.showroom_id
    db_session.close()
    try:
        advance(
            desk=checkout_desk(request),
            order_id=order_id,
            target=target,
            actor=f"operator:{operator.email}",
        )
    except IllegalTransition as error:
        raise HTTPException(status_code=409, detail=str(error)) from error
    return RedirectResponse(f"/operator/showrooms/{showroom_id}/orders", status_code=303)

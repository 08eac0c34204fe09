"""Operator pages to fulfil orders: a showroom's orders, and moving one on (pack, ship...)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from vitrine.catalog.money import format_price
from vitrine.orders import service as orders
from vitrine.orders.fulfilment import advance, follow_locker
from vitrine.orders.states import TRANSITIONS, IllegalTransition
from vitrine.showrooms import service as showrooms
from vitrine.web.dependencies import SessionDep
from vitrine.web.pages.templating import templates
from vitrine.web.security import OperatorPageDep, check_csrf, form_csrf_token
from vitrine.web.wiring import checkout_desk

router = APIRouter(prefix="/operator", include_in_schema=False)


@router.get("/showrooms/{showroom_id}/orders", response_class=HTMLResponse)
def orders_page(
    showroom_id: str, request: Request, operator: OperatorPageDep, db_session: SessionDep
) -> Response:
    showroom = showrooms.get_showroom(db_session=db_session, showroom_id=showroom_id)
    if showroom is None:
        raise HTTPException(status_code=404, detail="no such showroom")
    listed = orders.list_orders(db_session=db_session, showroom_id=showroom.id)
    for order in listed:
        follow_locker(desk=checkout_desk(request), order_id=order.id)
    db_session.expire_all()
    context = {
        "title": f"{showroom.name}: orders",
        "operator": operator,
        "showroom": showroom,
        "orders": orders.list_orders(db_session=db_session, showroom_id=showroom.id),
        "next_states": {state: sorted(targets) for state, targets in TRANSITIONS.items()},
        "price": format_price,
        "csrf_token": form_csrf_token(request),
    }
    return templates.TemplateResponse(request, "operator_orders.html", context)


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

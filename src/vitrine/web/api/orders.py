"""Cart, checkout and order API for native apps: the same use cases as the shopper pages."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from vitrine.orders import service as orders
from vitrine.orders.contact import CheckoutDetails, InvalidDetails
from vitrine.orders.flows import CheckoutRefused, CheckoutRequest, checkout
from vitrine.orders.payments import CardDetails
from vitrine.orders.states import PLACED
from vitrine.web.dependencies import SessionDep
from vitrine.web.wiring import checkout_desk

router = APIRouter(tags=["orders"])


class CartItemRead(BaseModel):
    variant_id: str
    product_id: str
    product_name: str
    variant_label: str
    sku: str
    unit_price_minor: int
    currency: str
    quantity: int
    total_minor: int


class CartRead(BaseModel):
    id: str
    items: list[CartItemRead]
    total_minor: int
    currency: str | None


class QuantityWrite(BaseModel):
    quantity: int = Field(ge=-1000, le=1000)


class CardWrite(BaseModel):
    number: str = Field(max_length=23)
    expiry_month: int = Field(ge=0, le=12)
    expiry_year: int = Field(ge=0, le=2200)
    cvc: str = Field(max_length=4)


class DetailsWrite(BaseModel):
    email: str = Field(default="", max_length=254)
    phone: str = Field(default="", max_length=32)
    delivery_method: str = Field(max_length=8)
    recipient_name: str = Field(default="", max_length=200)
    address_line: str = Field(default="", max_length=300)
    postcode: str = Field(default="", max_length=16)
    city: str = Field(default="", max_length=100)
    locker_site_id: str = Field(default="", max_length=32)


class CheckoutWrite(BaseModel):
    cart_id: str = Field(max_length=32)
    idempotency_key: str = Field(min_length=16, max_length=64)
    details: DetailsWrite
    card: CardWrite
    # The shopper's language: the order's emails and messages are written in it.
    language: Literal["en", "fr", "zh"] = "en"


class CheckoutRead(BaseModel):
    tracking_token: str
    state: str
    paid: bool
    replayed: bool
    message: str


class OrderLineRead(BaseModel):
    sku: str
    product_name: str
    variant_label: str
    unit_price_minor: int
    quantity: int


class OrderEventRead(BaseModel):
    from_state: str | None
    to_state: str
    actor: str
    note: str
    at: datetime


class OrderRead(BaseModel):
    tracking_token: str
    state: str
    delivery_method: str
    total_minor: int
    currency: str
    lines: list[OrderLineRead]
    events: list[OrderEventRead]


def _cart_read(db_session: SessionDep, cart_id: str) -> CartRead:
    cart = orders.get_cart(db_session=db_session, cart_id=cart_id)
    if cart is None:
        raise HTTPException(status_code=404, detail="no such cart")
    view = orders.view_cart(db_session=db_session, cart=cart)
    items = [
        CartItemRead(**{**item.__dict__, "total_minor": item.total_minor}) for item in view.items
    ]
    return CartRead(id=cart.id, items=items, total_minor=view.total_minor, currency=view.currency)


@router.post("/carts", response_model=CartRead, status_code=201)
def create_cart(db_session: SessionDep) -> CartRead:
    cart = orders.open_cart(db_session=db_session, cart_id=None, showroom_id=None)
    db_session.commit()
    return _cart_read(db_session, cart.id)


@router.get("/carts/{cart_id}", response_model=CartRead)
def read_cart(cart_id: str, db_session: SessionDep) -> CartRead:
    return _cart_read(db_session, cart_id)


@router.put("/carts/{cart_id}/items/{variant_id}", response_model=CartRead)
def set_item(
    cart_id: str, variant_id: str, body: QuantityWrite, db_session: SessionDep
) -> CartRead:
    cart = orders.get_cart(db_session=db_session, cart_id=cart_id)
    if cart is None:
        raise HTTPException(status_code=404, detail="no such cart")
    try:
        orders.set_quantity(
            db_session=db_session, cart=cart, variant_id=variant_id, quantity=body.quantity
        )
    except orders.CartError as error:
        raise HTTPException(status_code=409, detail=str(error)) from error
    db_session.commit()
    return _cart_read(db_session, cart_id)


@router.delete("/carts/{cart_id}/items/{variant_id}", response_model=CartRead)
def remove_item(cart_id: str, variant_id: str, db_session: SessionDep) -> CartRead:
    cart = orders.get_cart(db_session=db_session, cart_id=cart_id)
    if cart is None:
        raise HTTPException(status_code=404, detail="no such cart")
    for line in [ln for ln in cart.lines if ln.variant_id == variant_id]:
        orders.remove_line(db_session=db_session, cart=cart, line_id=line.id)
    db_session.commit()
    return _cart_read(db_session, cart_id)


@router.post(
    "/checkout",
    response_model=CheckoutRead,
    status_code=201,
    responses={
        202: {"description": "payment not confirmed yet: retry the same key later"},
        402: {"description": "payment declined"},
        409: {"description": "refused"},
        422: {"description": "invalid details"},
    },
)
def submit_checkout(body: CheckoutWrite, request: Request) -> JSONResponse:
    card = CardDetails(
        body.card.number, body.card.expiry_month, body.card.expiry_year, body.card.cvc
    )
    checkout_request = CheckoutRequest(
        cart_id=body.cart_id,
        card=card,
        details=CheckoutDetails(**body.details.model_dump()),
        idempotency_key=body.idempotency_key,
        language=body.language,
    )
    try:
        outcome = checkout(desk=checkout_desk(request), request=checkout_request)
    except InvalidDetails as invalid:
        return JSONResponse({"detail": str(invalid), "problems": invalid.problems}, status_code=422)
    except CheckoutRefused as refused:
        return JSONResponse({"detail": str(refused)}, status_code=409)
    # 202: the payment's outcome is not known yet (the gateway did not answer); housekeeping
    # settles the order and a retry of the same key then answers it.
    status = (
        200
        if outcome.replayed
        else 201
        if outcome.paid
        else 202
        if outcome.state == PLACED
        else 402
    )
    read = CheckoutRead(
        tracking_token=outcome.tracking_token,
        state=outcome.state,
        paid=outcome.paid,
        replayed=outcome.replayed,
        message=outcome.message,
    )
    return JSONResponse(read.model_dump(), status_code=status)


@router.get("/orders/{tracking_token}", response_model=OrderRead)
def read_order(tracking_token: str, db_session: SessionDep) -> OrderRead:
    order = orders.get_order_by_tracking(db_session=db_session, tracking_token=tracking_token)
    if order is None:
        raise HTTPException(status_code=404, detail="no order has this tracking token")
    return OrderRead(
        tracking_token=order.tracking_token,
        state=order.state,
        delivery_method=order.delivery_method,
        total_minor=order.total_minor,
        currency=order.currency,
        lines=[OrderLineRead.model_validate(line, from_attributes=True) for line in order.lines],
        events=[OrderEventRead.model_validate(e, from_attributes=True) for e in order.events],
    )

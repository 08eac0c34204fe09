"""Cart, checkout and order API for native apps: the same use cases as the shopper pages."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.config import JsonDict

from vitrine.orders import service as orders
from vitrine.orders.contact import CheckoutDetails, InvalidDetails
from vitrine.orders.flows import CheckoutRefused, CheckoutRequest, checkout
from vitrine.orders.payments import CardDetails
from vitrine.orders.states import PLACED
from vitrine.web.api.responses import field_errors, refusal
from vitrine.web.dependencies import SessionDep
from vitrine.web.schemas import JsonInt
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
    quantity: JsonInt = Field(ge=1, le=orders.MAX_QUANTITY_PER_LINE)


class CardWrite(BaseModel):
    number: str = Field(max_length=23)
    expiry_month: JsonInt = Field(ge=0, le=12)
    expiry_year: JsonInt = Field(ge=0, le=2200)
    cvc: str = Field(max_length=4)


# The checkout's own rules (orders/contact.py) as patterns, so the document says which details
# are accepted; each is at least as strict as its rule. Explicit character classes: `\s` and `\d`
# differ between Python, JSON Schema (ECMA 262) and pydantic's engine (`[\s\S]` is anything).
EMAIL = r"^[A-Za-z0-9.!#$%&*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$"
PHONE = r"^\+?\(?(?:[0-9][ ().-]{0,2}){7,14}[0-9]$"  # 8 to 15 digits
# A character that no engine counts as a space or a control (so it survives the rules' strip()).
VISIBLE = (
    r"[^\x00-\x20\x7f-\xa0\u1680\u180e\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
    r"\ufeff\ufffe\uffff]"
)
ADDRESS = rf"{VISIBLE}[\s\S]{{2,}}{VISIBLE}"  # at least 4 characters between the spaces
FRENCH_POSTCODE = r"^[0-9]{5}$"
REACHABLE: JsonDict = {
    "anyOf": [
        {"required": ["email"], "properties": {"email": {"minLength": 1}}},
        {"required": ["phone"], "properties": {"phone": {"minLength": 1}}},
    ]
}


class DetailsWrite(BaseModel):
    """How to reach the shopper: an email address, a phone number, or both."""

    model_config = ConfigDict(json_schema_extra=REACHABLE)

    email: str = Field(default="", max_length=254, pattern=f"^$|{EMAIL}")
    phone: str = Field(default="", max_length=24, pattern=f"^$|{PHONE}")
    recipient_name: str = Field(default="", max_length=200)
    address_line: str = Field(default="", max_length=300)
    postcode: str = Field(default="", max_length=16)
    city: str = Field(default="", max_length=100)
    locker_site_id: str = Field(default="", max_length=64)

    @model_validator(mode="after")
    def _reachable(self) -> DetailsWrite:
        if not self.email and not self.phone:
            raise ValueError("give an email address or a phone number")
        return self


class HomeDelivery(DetailsWrite):
    delivery_method: Literal["home"]
    recipient_name: str = Field(max_length=200, pattern=VISIBLE)
    address_line: str = Field(max_length=300, pattern=ADDRESS)
    postcode: str = Field(max_length=16, pattern=FRENCH_POSTCODE)
    city: str = Field(max_length=100, pattern=VISIBLE)


class LockerDelivery(DetailsWrite):
    delivery_method: Literal["locker"]
    locker_site_id: str = Field(max_length=64, pattern=VISIBLE)


class CheckoutWrite(BaseModel):
    cart_id: str = Field(max_length=32)
    idempotency_key: str = Field(min_length=16, max_length=64)
    details: Annotated[HomeDelivery | LockerDelivery, Field(discriminator="delivery_method")]
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


def _answer(description: str) -> dict[str, Any]:
    return {"model": CheckoutRead, "description": description}


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


NO_CART = refusal("no such cart")


@router.get("/carts/{cart_id}", response_model=CartRead, responses={404: NO_CART})
def read_cart(cart_id: str, db_session: SessionDep) -> CartRead:
    return _cart_read(db_session, cart_id)


@router.put(
    "/carts/{cart_id}/items/{variant_id}",
    response_model=CartRead,
    responses={
        404: NO_CART,
        409: refusal("no such variant, not that many in stock, or another currency"),
    },
)
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


@router.delete(
    "/carts/{cart_id}/items/{variant_id}", response_model=CartRead, responses={404: NO_CART}
)
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
        200: _answer("the same idempotency key again: the first checkout's answer, replayed"),
        201: _answer("placed and paid"),
        202: _answer("payment not confirmed yet: retry the same key later"),
        402: _answer("payment declined (`message` says why)"),
        409: refusal("the cart is empty, something in it ran out, or the locker is full"),
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
        faults = invalid.problems.items()
        return field_errors(*((("body", "details", field), why) for field, why in faults))
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


@router.get(
    "/orders/{tracking_token}",
    response_model=OrderRead,
    responses={404: refusal("no order has this tracking token")},
)
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

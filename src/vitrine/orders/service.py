"""Cart and order use cases inside one transaction: cart lines, order reads, state changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from vitrine.catalog import stock_service as stock
from vitrine.catalog.models import Product, Variant
from vitrine.catalog.service import localized
from vitrine.i18n.translator import N_
from vitrine.orders.models import Cart, CartLine, Order, OrderEvent, OrderLine
from vitrine.orders.postcodes import centre_of
from vitrine.orders.states import CANCELLED, PLACED, check_transition

MAX_QUANTITY_PER_LINE = 20
UNPAID_STATES = (PLACED, CANCELLED)


class CartError(ValueError):
    """A cart change that cannot be made. The message is for the shopper: `message` is its
    English source text (translated where shown) with `%(name)s` placeholders for `values`."""

    def __init__(self, message: str, **values: object) -> None:
        super().__init__(message % values if values else message)
        self.message = message
        self.values = values


@dataclass(frozen=True)
class CartItem:
    line_id: str
    variant_id: str
    product_id: str
    product_name: str
    variant_label: str
    sku: str
    unit_price_minor: int
    currency: str
    quantity: int
    image_key: str | None
    offer_ref: str | None = None

    @property
    def total_minor(self) -> int:
        return self.unit_price_minor * self.quantity


@dataclass(frozen=True)
class CartView:
    cart_id: str
    items: list[CartItem]

    @property
    def total_minor(self) -> int:
        return sum(item.total_minor for item in self.items)

    @property
    def currency(self) -> str | None:
        return self.items[0].currency if self.items else None

    @property
    def count(self) -> int:
        return sum(item.quantity for item in self.items)


def get_cart(*, db_session: Session, cart_id: str | None) -> Cart | None:
    if not cart_id:
        return None
    return db_session.scalar(
        select(Cart).where(Cart.id == cart_id).options(selectinload(Cart.lines))
    )


def open_cart(*, db_session: Session, cart_id: str | None, showroom_id: str | None) -> Cart:
    cart = get_cart(db_session=db_session, cart_id=cart_id)
    if cart is None:
        cart = Cart(showroom_id=showroom_id)
        db_session.add(cart)
        db_session.flush()
    return cart


def _check_quantity(quantity: int) -> None:
    if quantity < 1:
        raise CartError(N_("the quantity must be at least 1"))
    if quantity > MAX_QUANTITY_PER_LINE:
        raise CartError(N_("at most %(most)s of one item per order"), most=MAX_QUANTITY_PER_LINE)


def set_quantity(*, db_session: Session, cart: Cart, variant_id: str, quantity: int) -> None:
    """Put `quantity` units of a variant in the cart (replacing what was there)."""
    _check_quantity(quantity)
    variant = db_session.get(Variant, variant_id)
    if variant is None:
        raise CartError(N_("this product variant does not exist"))
    left = stock.available(db_session=db_session, variant_id=variant_id)
    if quantity > left:
        if left:
            raise CartError(N_("only %(left)s left in stock"), left=left)
        raise CartError(N_("out of stock"))
    currencies = {_variant_currency(db_session, line.variant_id) for line in cart.lines}
    if currencies and variant.currency not in currencies:
        raise CartError(N_("items priced in different currencies cannot share one cart"))
    line = next(
        (ln for ln in cart.lines if ln.variant_id == variant_id and ln.offer_ref is None), None
    )
    if line is None:
        cart.lines.append(CartLine(variant_id=variant_id, quantity=quantity))
    else:
        line.quantity = quantity
    db_session.flush()


def add_to_cart(*, db_session: Session, cart: Cart, variant_id: str, quantity: int = 1) -> None:
    _check_quantity(quantity)
    current = next(
        (ln.quantity for ln in cart.lines if ln.variant_id == variant_id and not ln.offer_ref), 0
    )
    set_quantity(
        db_session=db_session, cart=cart, variant_id=variant_id, quantity=current + quantity
    )


def add_offer_to_cart(
    *,
    db_session: Session,
    cart: Cart,
    variant_id: str,
    offer_ref: str,
    price_minor: int,
    quantity: int = 1,
) -> None:
    """Put a variant in the cart at an offer's price (the checkout claims the offer's units)."""
    _check_quantity(quantity)
    variant = db_session.get(Variant, variant_id)
    if variant is None:
        raise CartError(N_("this product variant does not exist"))
    line = next((ln for ln in cart.lines if ln.offer_ref == offer_ref), None)
    if line is None:
        cart.lines.append(
            CartLine(
                variant_id=variant_id,
                quantity=quantity,
                offer_ref=offer_ref,
                offer_price_minor=price_minor,
            )
        )
    else:
        line.quantity = quantity
    db_session.flush()


def set_line_quantity(*, db_session: Session, cart: Cart, line_id: str, quantity: int) -> None:
    line = next((ln for ln in cart.lines if ln.id == line_id), None)
    if line is None:
        raise CartError(N_("this line is no longer in your cart"))
    if line.offer_ref is None:
        set_quantity(
            db_session=db_session, cart=cart, variant_id=line.variant_id, quantity=quantity
        )
        return
    _check_quantity(quantity)
    line.quantity = quantity
    db_session.flush()


def remove_line(*, db_session: Session, cart: Cart, line_id: str) -> None:
    cart.lines[:] = [line for line in cart.lines if line.id != line_id]
    db_session.flush()


def _variant_currency(db_session: Session, variant_id: str) -> str:
    variant = db_session.get(Variant, variant_id)
    return variant.currency if variant else ""


ORDER_NUMBER_LENGTH = 8


def view_cart(*, db_session: Session, cart: Cart | None, language: str | None = None) -> CartView:
    """The cart's lines, product names in `language` when the catalog has them."""
    if cart is None:
        return CartView(cart_id="", items=[])
    items = []
    for line in cart.lines:
        variant = db_session.get(Variant, line.variant_id)
        if variant is None:
            continue
        product = db_session.scalar(
            select(Product)
            .where(Product.id == variant.product_id)
            .options(selectinload(Product.images))
        )
        assert product is not None
        image_key = product.images[0].media_key if product.images else None
        items.append(
            CartItem(
                line.id,
                variant.id,
                product.id,
                localized(product, language)[0] if language else product.name,
                variant.label,
                variant.sku,
                variant.price_minor if line.offer_price_minor is None else line.offer_price_minor,
                variant.currency,
                line.quantity,
                image_key,
                line.offer_ref,
            )
        )
    return CartView(cart_id=cart.id, items=items)


def empty_cart(*, db_session: Session, cart_id: str) -> None:
    cart = get_cart(db_session=db_session, cart_id=cart_id)
    if cart is not None:
        cart.lines.clear()
        db_session.flush()


def get_order_by_tracking(*, db_session: Session, tracking_token: str) -> Order | None:
    return db_session.scalar(
        select(Order)
        .where(Order.tracking_token == tracking_token)
        .options(
            selectinload(Order.lines), selectinload(Order.events), selectinload(Order.payments)
        )
    )


def get_order_by_idempotency_key(*, db_session: Session, key: str) -> Order | None:
    return db_session.scalar(select(Order).where(Order.idempotency_key == key))


def move_order(
    *, db_session: Session, order: Order, target: str, actor: str, note: str = ""
) -> None:
    """Change an order's state if the state machine allows it, recording who and why."""
    check_transition(order.state, target)
    order.events.append(OrderEvent(from_state=order.state, to_state=target, actor=actor, note=note))
    order.state = target
    db_session.flush()


def move_order_from(
    *, db_session: Session, order: Order, expected: str, target: str, actor: str, note: str = ""
) -> bool:
    """Move an order from `expected` to `target` with one conditional UPDATE: of two processes
    settling the same order at once (a checkout, a retry, the reconciler) exactly one wins."""
    check_transition(expected, target)
    moved = db_session.execute(
        update(Order)
        .where(Order.id == order.id, Order.state == expected)
        .values(state=target)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        db_session.refresh(order)
        return False
    set_committed_value(order, "state", target)
    order.events.append(OrderEvent(from_state=expected, to_state=target, actor=actor, note=note))
    db_session.flush()
    return True


def units_sold_by_product(
    *, db_session: Session, showroom_id: str, start: datetime, end: datetime
) -> dict[str, int]:
    """Units of each product in paid-or-later orders placed in a showroom during [start, end)."""
    rows = db_session.execute(
        select(OrderLine.product_id, func.sum(OrderLine.quantity))
        .join(Order, Order.id == OrderLine.order_id)
        .where(
            Order.showroom_id == showroom_id,
            Order.created_at >= start,
            Order.created_at < end,
            Order.state.notin_(UNPAID_STATES),
        )
        .group_by(OrderLine.product_id)
    )
    return {product_id: int(units or 0) for product_id, units in rows}


def count_paid_orders(
    *, db_session: Session, showroom_id: str, start: datetime, end: datetime
) -> int:
    query = (
        select(func.count())
        .select_from(Order)
        .where(
            Order.showroom_id == showroom_id,
            Order.created_at >= start,
            Order.created_at < end,
            Order.state.notin_(UNPAID_STATES),
        )
    )
    return int(db_session.scalar(query) or 0)


def list_orders(*, db_session: Session, showroom_id: str, limit: int = 200) -> list[Order]:
    return list(
        db_session.scalars(
            select(Order)
            .where(Order.showroom_id == showroom_id)
            .options(selectinload(Order.lines))
            .order_by(Order.created_at.desc())
            .limit(limit)
        )
    )


def get_order(*, db_session: Session, order_id: str) -> Order | None:
    return db_session.get(Order, order_id)


def order_number(order_id: str) -> str:
    """The short number shoppers and operators see for an order (`2C24EAA6`)."""
    return order_id[:ORDER_NUMBER_LENGTH].upper()


def orders_numbered(*, db_session: Session, number: str) -> list[Order]:
    """The orders whose number (the first characters of their id) is `number`: one, as a rule."""
    number = number.strip().lower()
    if len(number) != ORDER_NUMBER_LENGTH or not all(c in "0123456789abcdef" for c in number):
        return []
    return list(db_session.scalars(select(Order).where(Order.id.startswith(number)).limit(2)))


def claim_cart(*, db_session: Session, cart_id: str | None, owner: str) -> Cart:
    """After sign-in, the browser's cart and the shopper's saved cart become one cart."""
    browser = get_cart(db_session=db_session, cart_id=cart_id)
    saved = db_session.scalar(
        select(Cart)
        .where(Cart.owner == owner, Cart.id != (cart_id or ""))
        .options(selectinload(Cart.lines))
        .order_by(Cart.updated_at.desc())
        .limit(1)
    )
    if browser is None:
        browser = saved or Cart(owner=owner)
        db_session.add(browser)
    elif saved is not None:
        _merge_lines(browser, saved)
        db_session.delete(saved)
    browser.owner = owner
    db_session.flush()
    return browser


def _merge_lines(into: Cart, other: Cart) -> None:
    for line in other.lines:
        same = next(
            (
                ln
                for ln in into.lines
                if ln.variant_id == line.variant_id and ln.offer_ref == line.offer_ref
            ),
            None,
        )
        if same is None:
            into.lines.append(
                CartLine(
                    variant_id=line.variant_id,
                    quantity=line.quantity,
                    offer_ref=line.offer_ref,
                    offer_price_minor=line.offer_price_minor,
                )
            )
        else:
            same.quantity = min(MAX_QUANTITY_PER_LINE, same.quantity + line.quantity)


def delivery_demand(*, db_session: Session) -> list[tuple[float, float, float]]:
    """Where paid orders went, as (lat, lon, orders) from their postcodes: demand for lockers."""
    rows = db_session.execute(
        select(Order.postcode, func.count())
        .where(Order.state.notin_(UNPAID_STATES), Order.postcode != "")
        .group_by(Order.postcode)
    )
    demand = []
    for postcode, count in rows:
        centre = centre_of(postcode)
        if centre is not None:
            demand.append((centre[0], centre[1], float(count)))
    return demand


def count_orders_by_state(*, db_session: Session) -> dict[str, int]:
    """How many orders are in each state (for the server's metrics)."""
    rows = db_session.execute(select(Order.state, func.count()).group_by(Order.state))
    return {str(state): int(count) for state, count in rows}

"""Showroom use cases: create a showroom, find it, put catalog products on display."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from vitrine.catalog.models import Product
from vitrine.showrooms.models import DisplayItem, ShelfTag, Showroom

SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


class ShowroomError(ValueError):
    """A showroom request that cannot be carried out (the message says why)."""


def create_showroom(
    *, db_session: Session, slug: str, name: str, currency: str, address: str = ""
) -> Showroom:
    if not SLUG_PATTERN.fullmatch(slug):
        raise ShowroomError(f"showroom slug {slug!r} must be 2-63 lowercase letters, digits or -")
    if get_showroom_by_slug(db_session=db_session, slug=slug) is not None:
        raise ShowroomError(f"a showroom with slug {slug!r} exists already")
    showroom = Showroom(slug=slug, name=name, currency=currency, address=address)
    db_session.add(showroom)
    db_session.flush()
    return showroom


def get_showroom_by_slug(*, db_session: Session, slug: str) -> Showroom | None:
    return db_session.scalar(select(Showroom).where(Showroom.slug == slug))


def list_showrooms(*, db_session: Session) -> list[Showroom]:
    return list(db_session.scalars(select(Showroom).order_by(Showroom.created_at)))


def put_on_display(*, db_session: Session, showroom: Showroom, product_ids: list[str]) -> int:
    """Display the given products in the showroom; already displayed ones are left as they are."""
    shown = set(
        db_session.scalars(
            select(DisplayItem.product_id).where(DisplayItem.showroom_id == showroom.id)
        )
    )
    next_position = len(shown)
    added = 0
    for product_id in product_ids:
        if product_id in shown:
            continue
        shown.add(product_id)
        db_session.add(
            DisplayItem(showroom_id=showroom.id, product_id=product_id, position=next_position)
        )
        next_position += 1
        added += 1
    db_session.flush()
    return added


def displayed_products(*, db_session: Session, showroom: Showroom) -> list[Product]:
    """The showroom's products in display order, with the variants, images and translations
    a product card shows loaded in three queries (not three per product)."""
    return list(
        db_session.scalars(
            select(Product)
            .join(DisplayItem, DisplayItem.product_id == Product.id)
            .where(DisplayItem.showroom_id == showroom.id)
            .order_by(DisplayItem.position)
            .options(
                selectinload(Product.variants),
                selectinload(Product.images),
                selectinload(Product.texts),
            )
        )
    )


def count_display_items(*, db_session: Session, showroom: Showroom) -> int:
    query = select(func.count()).where(DisplayItem.showroom_id == showroom.id)
    return int(db_session.scalar(query) or 0)


TAG_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_tag_code() -> str:
    """8 characters of an unambiguous alphabet (31^8 ≈ 8.5e11 codes): short, hard to guess."""
    return "".join(secrets.choice(TAG_ALPHABET) for _ in range(8))


def ensure_shelf_tags(*, db_session: Session, showroom: Showroom) -> list[ShelfTag]:
    """One shelf tag per display item of the showroom (existing tags are kept)."""
    tags = {
        tag.product_id: tag
        for tag in db_session.scalars(select(ShelfTag).where(ShelfTag.showroom_id == showroom.id))
    }
    for product in displayed_products(db_session=db_session, showroom=showroom):
        if product.id not in tags:
            tag = ShelfTag(code=new_tag_code(), showroom_id=showroom.id, product_id=product.id)
            db_session.add(tag)
            tags[product.id] = tag
    db_session.flush()
    return list(tags.values())


def find_shelf_tag(*, db_session: Session, code: str) -> ShelfTag | None:
    return db_session.scalar(select(ShelfTag).where(ShelfTag.code == code.upper()))


def get_showroom(*, db_session: Session, showroom_id: str) -> Showroom | None:
    return db_session.get(Showroom, showroom_id)


def displayed_product_ids(*, db_session: Session, showroom: Showroom) -> list[str]:
    return list(
        db_session.scalars(
            select(DisplayItem.product_id).where(DisplayItem.showroom_id == showroom.id)
        )
    )


class UnknownSkus(ShowroomError):
    """Some SKUs of a bulk display request are not in the catalog: nothing was added."""

    def __init__(self, skus: list[str]) -> None:
        super().__init__(f"unknown SKUs, nothing was added: {', '.join(skus[:20])}")
        self.skus = skus


def display_by_skus(*, db_session: Session, showroom: Showroom, skus: list[str]) -> int:
    """Put products on display by product SKU; all or nothing."""
    wanted = list(dict.fromkeys(sku.strip() for sku in skus if sku.strip()))
    rows = db_session.execute(select(Product.sku, Product.id).where(Product.sku.in_(wanted)))
    found = {sku: product_id for sku, product_id in rows}
    missing = [sku for sku in wanted if sku not in found]
    if missing:
        raise UnknownSkus(missing)
    return put_on_display(
        db_session=db_session, showroom=showroom, product_ids=[found[s] for s in wanted]
    )


def remove_from_display(*, db_session: Session, showroom: Showroom, product_id: str) -> None:
    item = db_session.scalar(
        select(DisplayItem).where(
            DisplayItem.showroom_id == showroom.id, DisplayItem.product_id == product_id
        )
    )
    if item is not None:
        db_session.delete(item)
        db_session.flush()


def shelf_tags_of(*, db_session: Session, showroom: Showroom) -> list[tuple[ShelfTag, Product]]:
    ensure_shelf_tags(db_session=db_session, showroom=showroom)
    rows = db_session.execute(
        select(ShelfTag, Product)
        .join(Product, Product.id == ShelfTag.product_id)
        .join(
            DisplayItem,
            (DisplayItem.product_id == ShelfTag.product_id)
            & (DisplayItem.showroom_id == showroom.id),
        )
        .where(ShelfTag.showroom_id == showroom.id)
        .order_by(DisplayItem.position)
    )
    return [(tag, product) for tag, product in rows]


DAYS_PATTERN = re.compile(r"^\d{1,2}(-\d{1,2})?$")


@dataclass(frozen=True)
class ShowroomSettings:
    name: str
    address: str
    opens_on: date | None
    closes_on: date | None
    home_delivery_days: str
    locker_delivery_days: str


def update_showroom(*, db_session: Session, showroom: Showroom, changes: ShowroomSettings) -> None:
    """Change a showroom's name, address, opening dates and delivery promises."""
    if not changes.name.strip():
        raise ShowroomError("the showroom needs a name")
    if changes.opens_on and changes.closes_on and changes.closes_on < changes.opens_on:
        raise ShowroomError("the showroom closes before it opens")
    for days in (changes.home_delivery_days, changes.locker_delivery_days):
        if not DAYS_PATTERN.fullmatch(days.strip()):
            raise ShowroomError(f"delivery promise {days!r} must be days like 2 or 3-5")
    showroom.name, showroom.address = changes.name.strip(), changes.address.strip()
    showroom.opens_on, showroom.closes_on = changes.opens_on, changes.closes_on
    showroom.home_delivery_days = changes.home_delivery_days.strip()
    showroom.locker_delivery_days = changes.locker_delivery_days.strip()
    db_session.flush()

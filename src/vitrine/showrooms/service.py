"""Showroom use cases: create a showroom, find it, put catalog products on display."""

from __future__ import annotations

import re
import secrets

from sqlalchemy import func, select
from sqlalchemy.orm import Session

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
    return list(
        db_session.scalars(
            select(Product)
            .join(DisplayItem, DisplayItem.product_id == Product.id)
            .where(DisplayItem.showroom_id == showroom.id)
            .order_by(DisplayItem.position)
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

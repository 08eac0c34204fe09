"""Stock use cases: what is available, and atomic reservation that never oversells."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from vitrine.catalog.models import StockLevel, Warehouse


class OutOfStock(ValueError):
    """Fewer units are available than asked for."""


def available(*, db_session: Session, variant_id: str) -> int:
    query = select(func.coalesce(func.sum(StockLevel.on_hand - StockLevel.reserved), 0)).where(
        StockLevel.variant_id == variant_id
    )
    return int(db_session.scalar(query) or 0)


def available_by_variant(*, db_session: Session, variant_ids: list[str]) -> dict[str, int]:
    rows = db_session.execute(
        select(StockLevel.variant_id, func.sum(StockLevel.on_hand - StockLevel.reserved))
        .where(StockLevel.variant_id.in_(variant_ids))
        .group_by(StockLevel.variant_id)
    )
    found = {variant_id: int(units or 0) for variant_id, units in rows}
    return {variant_id: found.get(variant_id, 0) for variant_id in variant_ids}


def reserve(*, db_session: Session, variant_id: str, quantity: int) -> None:
    """Reserve `quantity` units in one warehouse that has them, with a conditional UPDATE.

    The condition is checked by the database in the same statement, so two shoppers buying
    the last unit at once cannot both succeed, on SQLite or PostgreSQL.
    """
    levels = db_session.scalars(
        select(StockLevel)
        .where(StockLevel.variant_id == variant_id)
        .order_by((StockLevel.on_hand - StockLevel.reserved).desc())
    ).all()
    for level in levels:
        result = db_session.execute(
            update(StockLevel)
            .where(StockLevel.id == level.id, StockLevel.on_hand - StockLevel.reserved >= quantity)
            .values(reserved=StockLevel.reserved + quantity)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            return
    raise OutOfStock(f"only {available(db_session=db_session, variant_id=variant_id)} left")


def release(*, db_session: Session, variant_id: str, quantity: int) -> None:
    """Give back units reserved by an order that will not ship (cancelled, declined)."""
    level = db_session.scalar(
        select(StockLevel)
        .where(StockLevel.variant_id == variant_id, StockLevel.reserved >= quantity)
        .limit(1)
    )
    if level is not None:
        db_session.execute(
            update(StockLevel)
            .where(StockLevel.id == level.id)
            .values(reserved=StockLevel.reserved - quantity)
            .execution_options(synchronize_session=False)
        )


def set_stock(*, db_session: Session, variant_id: str, warehouse_code: str, on_hand: int) -> None:
    warehouse = db_session.scalar(select(Warehouse).where(Warehouse.code == warehouse_code))
    if warehouse is None:
        warehouse = Warehouse(code=warehouse_code, name=warehouse_code)
        db_session.add(warehouse)
        db_session.flush()
    level = db_session.scalar(
        select(StockLevel).where(
            StockLevel.variant_id == variant_id, StockLevel.warehouse_id == warehouse.id
        )
    )
    if level is None:
        db_session.add(
            StockLevel(variant_id=variant_id, warehouse_id=warehouse.id, on_hand=on_hand)
        )
    else:
        level.on_hand = max(on_hand, level.reserved)
    db_session.flush()

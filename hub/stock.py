"""Stock levels: atomic changes and the low-stock crossing they may cause."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    bindparam,
    case,
    cast,
    func,
    literal,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from hub.models import Hub, InventoryLevel

# The range of the quantity column (a 32-bit integer on PostgreSQL).
QUANTITY_MIN = -(2**31)
QUANTITY_MAX = 2**31 - 1


@dataclass(frozen=True)
class StockChange:
    """The level after a change, and whether it crossed the low-stock threshold."""

    quantity: int
    threshold: int
    crossed_low: bool
    rearmed: bool


def _ensure_row(session: Session, hub_id: str, location_id: str, sku: str) -> None:
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(InventoryLevel).values(
        hub_id=hub_id, location_id=location_id, sku=sku, quantity=0, is_low=False
    ).on_conflict_do_nothing(index_elements=["location_id", "sku"])
    session.execute(stmt)


def _returning(hub_id: str) -> tuple:
    """What each stock UPDATE returns: the row, and its threshold with the hub default filled in."""
    hub_default = select(Hub.low_stock_threshold).where(Hub.id == hub_id).scalar_subquery()
    return (InventoryLevel.id, InventoryLevel.quantity,
            func.coalesce(InventoryLevel.low_stock_threshold, hub_default, 0).label("threshold"),
            InventoryLevel.is_low)


def _settle_threshold(session: Session, row_id: int, quantity: int, threshold: int,
                      is_low: bool) -> StockChange:
    """Flip is_low when the new quantity crosses the threshold; the row is locked by our update."""
    crossed = rearmed = False
    if quantity <= threshold and not is_low:
        crossed = session.execute(
            update(InventoryLevel).where(InventoryLevel.id == row_id, InventoryLevel.is_low.is_(False))
            .values(is_low=True)
        ).rowcount == 1
    elif quantity > threshold and is_low:
        rearmed = session.execute(
            update(InventoryLevel).where(InventoryLevel.id == row_id, InventoryLevel.is_low.is_(True))
            .values(is_low=False)
        ).rowcount == 1
    return StockChange(quantity, threshold, crossed, rearmed)


def _quantity_plus(delta: int) -> ColumnElement[int]:
    """quantity + delta, held inside the column's range: sales far past the count never overflow it.

    Exact for any delta, including a batch's summed quantities beyond the column's own range.
    """
    # Every literal stays inside the column's type too, or PostgreSQL refuses the statement itself:
    # a delta past the range is added in two steps, each inside it (the sum is, once unclamped).
    if delta <= QUANTITY_MIN - QUANTITY_MAX:
        return literal(QUANTITY_MIN, Integer)
    if delta >= QUANTITY_MAX - QUANTITY_MIN:
        return literal(QUANTITY_MAX, Integer)
    first = max(-QUANTITY_MAX, min(QUANTITY_MAX, delta))
    total: ColumnElement[int] = InventoryLevel.quantity + first
    if delta != first:
        total = total + (delta - first)
    if delta < 0:
        return case((InventoryLevel.quantity < QUANTITY_MIN - delta, QUANTITY_MIN), else_=total)
    return case((InventoryLevel.quantity > QUANTITY_MAX - delta, QUANTITY_MAX), else_=total)


def change_stock(
    session: Session, hub_id: str, location_id: str, sku: str, delta: int, *, create: bool = True
) -> StockChange | None:
    """Add delta (negative for a sale) in one UPDATE, so concurrent sales never lose an update.

    With create=False an item whose stock is not tracked at that location is left alone (None).
    """
    if create:
        _ensure_row(session, hub_id, location_id, sku)
    row = session.execute(
        update(InventoryLevel)
        .where(InventoryLevel.location_id == location_id, InventoryLevel.sku == sku)
        .values(quantity=_quantity_plus(delta))
        .returning(*_returning(hub_id))
    ).one_or_none()
    if row is None:
        return None
    return _settle_threshold(session, row.id, row.quantity, row.threshold, row.is_low)


def set_stock(
    session: Session, hub_id: str, location_id: str, sku: str, quantity: int, threshold: int | None = None
) -> StockChange:
    """Set an absolute count (an inventory report), optionally with a per-item threshold."""
    _ensure_row(session, hub_id, location_id, sku)
    values: dict[str, object] = {"quantity": quantity}
    if threshold is not None:
        values["low_stock_threshold"] = threshold
    row = session.execute(
        update(InventoryLevel)
        .where(InventoryLevel.location_id == location_id, InventoryLevel.sku == sku)
        .values(**values)
        .returning(*_returning(hub_id))
    ).one()
    return _settle_threshold(session, row.id, row.quantity, row.threshold, row.is_low)


@dataclass(frozen=True)
class Sale:
    """One line's decrement in a batch: where, which item, how many."""

    location_id: str
    sku: str
    quantity: int


def sell(session: Session, hub_id: str, sales: list[Sale]) -> list[tuple[int, Sale, StockChange]]:
    """Apply a batch's sales with one UPDATE per (location, sku), by their summed quantity.

    The rows are locked first, in one SELECT ... FOR UPDATE in (location, sku) order (so concurrent
    batches never deadlock; SQLite has one writer), which gives each level before the batch. The
    crossings are then judged line by line exactly as one change_stock per line would (a crossing
    fires once, its event carries the level at that line, and a level above its threshold re-arms),
    and each row is written once: its new quantity and low-stock flag. Items whose stock is not tracked
    at that location are left alone. Returns the crossings as (index of the line in sales, sale, change),
    in the order of the lines.
    """
    pairs = sorted({(sale.location_id, sale.sku) for sale in sales})
    if not pairs:
        return []
    hub_default = select(Hub.low_stock_threshold).where(Hub.id == hub_id).scalar_subquery()
    rows = session.execute(
        select(InventoryLevel.id, InventoryLevel.location_id, InventoryLevel.sku, InventoryLevel.quantity,
               func.coalesce(InventoryLevel.low_stock_threshold, hub_default, 0).label("threshold"),
               InventoryLevel.is_low)
        .where(tuple_(InventoryLevel.location_id, InventoryLevel.sku).in_(pairs))
        .order_by(InventoryLevel.location_id, InventoryLevel.sku)
        .with_for_update(of=InventoryLevel)
    ).all()
    levels = {(row.location_id, row.sku): row for row in rows}
    state = {key: [row.quantity, row.is_low] for key, row in levels.items()}
    crossings: list[tuple[int, Sale, StockChange]] = []
    for index, sale in enumerate(sales):
        key = (sale.location_id, sale.sku)
        if key not in state:
            continue
        current = state[key]
        quantity = max(QUANTITY_MIN, min(QUANTITY_MAX, current[0] - sale.quantity))
        threshold = levels[key].threshold
        current[0] = quantity
        if quantity <= threshold and not current[1]:
            current[1] = True
            crossings.append((index, sale, StockChange(quantity, threshold, True, False)))
        elif quantity > threshold and current[1]:
            current[1] = False
    # Each changed row written once, relative to the locked row (so even an unlocked writer's change
    # is never lost): one executemany of a single statement, sent in one round trip (psycopg's
    # pipeline), instead of one UPDATE and its round trip per row.
    changes = [{"row_id": row.id, "delta": quantity - row.quantity, "low": is_low}
               for key in sorted(levels)
               for row, (quantity, is_low) in [(levels[key], state[key])]
               if quantity != row.quantity or is_low != row.is_low]
    if changes:
        table = InventoryLevel.__table__
        session.connection().execute(
            update(table).where(table.c.id == bindparam("row_id"))
            .values(quantity=_bounded_plus(bindparam("delta", type_=BigInteger)), is_low=bindparam("low")),
            changes)
    return crossings


def _bounded_plus(delta: ColumnElement[int]) -> ColumnElement[int]:
    """quantity + delta held inside the column's range, for a delta bound per row (|delta| < 2**32).

    The sum is taken as a 64-bit integer, so it never overflows before it is held in range.
    """
    total = cast(InventoryLevel.quantity, BigInteger) + delta
    return cast(case((total < QUANTITY_MIN, QUANTITY_MIN), (total > QUANTITY_MAX, QUANTITY_MAX), else_=total),
                Integer)

"""Recording purchases, however they arrive (POS post, poll, vendor callback): once each."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import insert, literal_column, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from hub.connectors.base import PurchaseRecord
from hub.db import on_commit
from hub.events import emit_many
from hub.inventory import low_stock_payload
from hub.models import Connection, Location, MenuItem, Purchase, PurchaseLine, new_id
from hub.observability.metrics import count_purchases
from hub.orders.links import OrderLinks, find_order_links
from hub.refs import connection_ref, iso, location_ref, locations_by_external_id
from hub.stock import Sale, sell


class UnknownLocation(ValueError):
    """A purchase names a location the connection does not have."""

    def __init__(self, index: int, external_id: str | None, known: list[str]) -> None:
        self.index = index
        self.external_id = external_id
        self.known = known
        what = (f"unknown location_external_id {external_id!r}" if external_id
                else "location_external_id is required")
        super().__init__(f"{what}; this connection's locations: {', '.join(known) or 'none'}")


@dataclass(frozen=True)
class RecordedPurchase:
    """The outcome for one reported purchase."""

    external_id: str
    purchase_id: str
    duplicate: bool


def _resolve_location(connection: Connection, locations: dict[str, Location], new: list[Location],
                      external_id: str | None, create: bool, index: int) -> Location | None:
    if external_id is None:
        if len(locations) == 1:
            return next(iter(locations.values()))
        if create:
            return None
        raise UnknownLocation(index, None, sorted(locations))
    location = locations.get(external_id)
    if location is None:
        if not create:
            raise UnknownLocation(index, external_id, sorted(locations))
        location = Location(id=new_id("loc"), hub_id=connection.hub_id, connection_id=connection.id,
                            external_id=external_id, name=external_id)
        new.append(location)
        locations[external_id] = location
    return location


def _dialect_insert(session: Session):  # noqa: ANN202 - the dialect's insert(), with on_conflict_do_nothing
    return (postgresql if session.get_bind().dialect.name == "postgresql" else sqlite).insert


@dataclass
class _Candidate:
    """One POS id of the batch: its first report, and the payment state its reports settle on."""

    record: PurchaseRecord
    location: Location | None
    total: str
    payment_state: str
    purchase_id: str = ""
    new: bool = False


def _settled_state(current: str, reported: str) -> str:
    """An unpaid purchase takes a later report's payment state; any other state stays."""
    return reported if current == "unpaid" else current


def _insert_purchases(session: Session, connection: Connection, candidates: list[_Candidate]) -> None:
    """One INSERT for the batch, yielding to the unique index: the rows it returns are ours (race-safe).

    Rows go in sorted by POS id, so two concurrent batches wait on each other's ids in one order
    (never a deadlock on PostgreSQL).
    """
    rows = [{"id": new_id("pur"), "hub_id": connection.hub_id, "connection_id": connection.id,
             "location_id": c.location.id if c.location else None, "external_id": c.record.external_id,
             "occurred_at": c.record.occurred_at, "total_amount": c.total, "currency": c.record.currency,
             "payment_state": c.payment_state, "coupon_codes": list(c.record.coupon_codes),
             "customer_key": c.record.customer_key}
            for c in sorted(candidates, key=lambda c: c.record.external_id)]
    table = Purchase.__table__
    stmt = (_dialect_insert(session)(table)
            .on_conflict_do_nothing(index_elements=["connection_id", "external_id"])
            .returning(table.c.id, table.c.external_id))
    by_external_id = {c.record.external_id: c for c in candidates}
    # Core executemany: SQLAlchemy sends it as multi-row INSERTs (up to 1,000 rows each), compiled once.
    for purchase_id, external_id in session.connection().execute(stmt, rows):
        candidate = by_external_id[external_id]
        candidate.purchase_id, candidate.new = purchase_id, True


def _settle_duplicates(session: Session, connection: Connection, candidates: list[_Candidate]) -> None:
    """POS ids already recorded keep their purchase and event, but one first reported unpaid takes a
    later report's payment state (e.g. an open order polled before checkout); their ids are read back."""
    by_state: dict[str, list[str]] = {}
    for c in candidates:
        if c.payment_state != "unpaid":
            by_state.setdefault(c.payment_state, []).append(c.record.external_id)
    for state, external_ids in sorted(by_state.items()):
        session.execute(update(Purchase).where(
            Purchase.connection_id == connection.id, Purchase.external_id.in_(sorted(external_ids)),
            Purchase.payment_state == "unpaid").values(payment_state=state))
    by_external_id = {c.record.external_id: c for c in candidates}
    found = session.execute(select(Purchase.id, Purchase.external_id).where(
        Purchase.connection_id == connection.id, Purchase.external_id.in_(list(by_external_id))))
    for purchase_id, external_id in found:
        by_external_id[external_id].purchase_id = purchase_id


def record_purchases(
    session: Session, connection: Connection, records: list[PurchaseRecord], *,
    create_locations: bool = False, locations: dict[str, Location] | None = None,
    links: OrderLinks | None = None,
) -> list[RecordedPurchase]:
    """Record each purchase once per (connection, POS id): lines, stock decrement, events.

    Set-based: one INSERT per table for the whole batch, one stock UPDATE per (location, sku) with
    the batch's summed quantity, and the events appended together. A purchase reported twice, even
    concurrently or within one batch, is recorded once: the insert yields to the unique index, and
    only the batch whose insert returned the row decrements stock and emits its event.

    `locations` are the connection's locations by POS id when the caller has read them already
    (read in this transaction; they are not re-read). A purchase that settles an order (hub.orders.links;
    `links` when the caller knows them) decrements nothing, is linked, and is recorded once per order.
    """
    if locations is None:
        locations = locations_by_external_id(session, connection.id)
    created_locations: list[Location] = []
    candidates: dict[str, _Candidate] = {}
    for index, record in enumerate(records):
        location = _resolve_location(connection, locations, created_locations, record.location_external_id,
                                     create_locations, index)
        candidate = candidates.get(record.external_id)
        if candidate is None:
            total = record.total or format(sum((Decimal(line.line_total) for line in record.lines),
                                               Decimal(0)), "f")
            candidates[record.external_id] = _Candidate(record, location, total, record.payment_state)
        else:  # reported twice in one batch: the first report is the purchase, a later one may pay it
            candidate.payment_state = _settled_state(candidate.payment_state, record.payment_state)
    if not candidates:
        return []
    if created_locations:
        session.add_all(created_locations)
        session.flush()

    links = links or find_order_links(session, connection.id, records)
    if pending := [c for c in candidates.values() if not links.recorded(c.record.external_id)]:
        _insert_purchases(session, connection, pending)
    if duplicates := [c for c in pending if not c.new]:
        _settle_duplicates(session, connection, duplicates)
    links.fill(candidates)
    new = [c for c in candidates.values() if c.new]

    line_rows = [{"purchase_id": c.purchase_id, "position": i, "sku": line.sku, "name": line.name,
                  "quantity": line.quantity, "unit_price": line.unit_price, "line_total": line.line_total}
                 for c in new for i, line in enumerate(c.record.lines)]
    # The lines' catalog names come back with the insert (for the events), not from a query of their own.
    names: dict[str, str] = {}
    if line_rows:
        lines, menu = PurchaseLine.__table__, MenuItem.__table__
        # The inserted row's sku, named as text: a column object would add the table to the subquery's FROM.
        inserted_sku = literal_column(f"{lines.name}.sku")
        name = select(menu.c.name).where(menu.c.hub_id == connection.hub_id, menu.c.sku == inserted_sku) \
            .scalar_subquery()
        names = {sku: item_name for sku, item_name in
                 session.connection().execute(insert(lines).returning(lines.c.sku, name), line_rows)
                 if item_name is not None}

    # One UPDATE per (location, sku) for the batch; crossings judged line by line, as one sale at a time.
    sales: list[Sale] = []
    sold_at: dict[str, Location] = {}
    for c in new:
        if c.location is not None and not links.held(c.record.external_id):
            sold_at[c.location.id] = c.location
            sales += [Sale(c.location.id, line.sku, line.quantity) for line in c.record.lines]
    crossings = sell(session, connection.hub_id, sales)

    # Events last: appending takes the hub's row lock, which is then held only until commit.
    # Low-stock events follow the purchases, in the order of the lines that crossed.
    events = [("new_purchase",
               purchase_payload(c.purchase_id, connection, c.location, c.record, c.total, names),
               connection.id, c.location.id if c.location else None, None) for c in new]
    events += [("low_stock",
                low_stock_payload(connection, sold_at[sale.location_id], sale.sku, change,
                                  names.get(sale.sku)),
                connection.id, sale.location_id, sale.sku) for _, sale, change in crossings]
    emit_many(session, connection.hub_id, events)
    connection_type, recorded = connection.type, len(new)
    on_commit(session, lambda: count_purchases(connection_type, recorded))
    links.settle(session, {external_id: c.purchase_id for external_id, c in candidates.items()})

    return [RecordedPurchase(record.external_id, candidates[record.external_id].purchase_id,
                             not candidates[record.external_id].new or record is not
                             candidates[record.external_id].record)
            for record in records]


def purchase_payload(purchase_id: str, connection: Connection, location: Location | None,
                     record: PurchaseRecord, total: str, names: dict[str, str]) -> dict:
    """The new_purchase trigger item (without its event id)."""
    return {
        "type": "new_purchase",
        "occurred_at": iso(record.occurred_at),
        "connection": connection_ref(connection),
        "location": location_ref(location),
        "purchase_id": purchase_id,
        "external_id": record.external_id,
        "lines": [{"sku": line.sku, "name": line.name or names.get(line.sku), "quantity": line.quantity,
                   "unit_price": line.unit_price, "line_total": line.line_total} for line in record.lines],
        "total": total,
        "currency": record.currency,
        "payment_state": record.payment_state,
        "coupon_codes": list(record.coupon_codes),
        "customer_key": record.customer_key,
        "item_count": sum(line.quantity for line in record.lines),
    }

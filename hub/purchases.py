"""Recording purchases, however they arrive (POS post, poll, vendor callback): once each."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from hub.connectors.base import PurchaseRecord
from hub.events import emit
from hub.inventory import emit_low_stock, item_names
from hub.models import Connection, Location, Purchase, PurchaseLine, new_id
from hub.refs import connection_ref, iso, location_ref, locations_by_external_id
from hub.stock import StockChange, change_stock


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


def _resolve_location(session: Session, connection: Connection, locations: dict[str, Location],
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
        location = Location(hub_id=connection.hub_id, connection_id=connection.id, external_id=external_id,
                            name=external_id)
        session.add(location)
        session.flush()
        locations[external_id] = location
    return location


def _insert_purchase(session: Session, connection: Connection, record: PurchaseRecord,
                     location: Location | None, total: str) -> str | None:
    """Insert unless the POS's id is already recorded; None for a duplicate (race-safe)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(Purchase).values(
        id=new_id("pur"),
        hub_id=connection.hub_id,
        connection_id=connection.id,
        location_id=location.id if location else None,
        external_id=record.external_id,
        occurred_at=record.occurred_at,
        total_amount=total,
        currency=record.currency,
        payment_state=record.payment_state,
        coupon_codes=list(record.coupon_codes),
        customer_key=record.customer_key,
    ).on_conflict_do_nothing(index_elements=["connection_id", "external_id"]).returning(Purchase.id)
    return session.execute(stmt).scalar_one_or_none()


def _settle_duplicate(session: Session, connection: Connection, record: PurchaseRecord) -> str:
    """A purchase seen again keeps its event, but a POS that first reported it unpaid may now say
    it is paid (e.g. an open order polled before checkout): that later payment state is kept."""
    if record.payment_state != "unpaid":
        session.execute(update(Purchase).where(
            Purchase.connection_id == connection.id, Purchase.external_id == record.external_id,
            Purchase.payment_state == "unpaid").values(payment_state=record.payment_state))
    return session.scalar(select(Purchase.id).where(Purchase.connection_id == connection.id,
                                                    Purchase.external_id == record.external_id)) or ""


def record_purchases(
    session: Session, connection: Connection, records: list[PurchaseRecord], *, create_locations: bool = False
) -> list[RecordedPurchase]:
    """Record each purchase once per (connection, POS id): lines, stock decrement, events.

    A purchase reported twice, even concurrently, is recorded once: the insert
    yields to the unique index, and only the winner decrements stock and emits.
    """
    locations = locations_by_external_id(session, connection.id)
    results: list[RecordedPurchase] = []
    new: list[tuple[str, PurchaseRecord, Location | None, str]] = []
    for index, record in enumerate(records):
        location = _resolve_location(session, connection, locations, record.location_external_id,
                                     create_locations, index)
        total = record.total or format(sum((Decimal(ln.line_total) for ln in record.lines), Decimal(0)), "f")
        purchase_id = _insert_purchase(session, connection, record, location, total)
        if purchase_id is None:
            existing_id = _settle_duplicate(session, connection, record)
            results.append(RecordedPurchase(record.external_id, existing_id, True))
            continue
        session.add_all(PurchaseLine(purchase_id=purchase_id, position=i, sku=line.sku, name=line.name,
                                     quantity=line.quantity, unit_price=line.unit_price,
                                     line_total=line.line_total)
                        for i, line in enumerate(record.lines))
        results.append(RecordedPurchase(record.external_id, purchase_id, False))
        new.append((purchase_id, record, location, total))

    crossings: list[tuple[Location, str, StockChange]] = []
    for _, record, location, _ in new:
        if location is None:
            continue
        for line in record.lines:
            change = change_stock(session, connection.hub_id, location.id, line.sku, -line.quantity,
                                  create=False)
            if change is not None and change.crossed_low:
                crossings.append((location, line.sku, change))

    skus = {line.sku for _, r, _, _ in new for line in r.lines} | {sku for _, sku, _ in crossings}
    names = item_names(session, connection.hub_id, skus)
    # Events last: emit() takes the hub's row lock, which is then held only until commit.
    for purchase_id, record, location, total in new:
        emit(session, connection.hub_id, "new_purchase",
             purchase_payload(purchase_id, connection, location, record, total, names),
             connection_id=connection.id, location_id=location.id if location else None)
    for location, sku, change in crossings:
        emit_low_stock(session, connection, location, sku, change, names.get(sku))
    return results


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

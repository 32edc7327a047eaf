"""What the order actions do: price lines from the catalog, create once per channel order id, update,
cancel, and adjust a location's stock."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from hub.catalog import items_by_sku, parse_time
from hub.errors import ProblemError, validation_error
from hub.inventory import emit_low_stock
from hub.models import (
    Connection,
    InventoryLevel,
    Location,
    MenuItem,
    Order,
    OrderDelivery,
    OrderLine,
    new_id,
    utcnow,
)
from hub.orders.delivery import SKIPPED, delivers, queue_delivery, unsent_create
from hub.orders.service import (
    CHANGEABLE,
    FINAL,
    apply_status,
    bump_feed,
    change_hold,
    hold_stock,
    line_counts,
    record_change,
)
from hub.stock import QUANTITY_MAX, QUANTITY_MIN, set_stock

_LOCATIONS = "pick one from the list of locations (GET /v1/locations)"


def _error(path: str, message: str) -> dict[str, str]:
    return {"path": path, "message": message}


@dataclass
class Priced:
    """Lines priced from the catalog: the rows' values, the currency, the total, and what was wrong."""

    lines: list[dict[str, Any]]
    currency: str | None
    total: Decimal
    errors: list[dict[str, str]]


def _option_price(item: MenuItem, chosen: dict[str, str]) -> tuple[dict[str, Any] | None, str | None]:
    """The chosen option with its catalog price, or an error message."""
    modifier = next((m for m in item.modifiers or [] if m.get("name") == chosen["name"]), None)
    if modifier is None:
        names = ", ".join(repr(m.get("name")) for m in item.modifiers or []) or "none"
        return None, f"{item.name} has no option group {chosen['name']!r} (it has: {names})."
    option = next((o for o in modifier.get("options", []) if o.get("name") == chosen["option"]), None)
    if option is None:
        return None, f"{chosen['name']!r} of {item.name} has no option {chosen['option']!r}."
    return {"name": chosen["name"], "option": chosen["option"], "price": option["price"]}, None


def price_lines(session: Session, hub_id: str, location_id: str, lines: list[dict[str, Any]]) -> Priced:
    """Each line's unit price (the meal's price plus its options') and total, from the catalog."""
    items = items_by_sku(session, hub_id, [line["sku"] for line in lines])
    priced, errors, currency, total = [], [], None, Decimal(0)
    for i, line in enumerate(lines):
        item, path = items.get(line["sku"]), f"/lines/{i}/sku"
        if item is None or item.deleted_at is not None:
            errors.append(_error(path, f"There is no meal with SKU {line['sku']!r} in the catalog; pick one "
                                 "from the list of menu items (GET /v1/menu-items)."))
            continue
        if not item.available:
            errors.append(_error(path, f"{item.name} ({item.sku}) is not available: it is switched off in "
                                 "the catalog."))
            continue
        if item.location_ids is not None and location_id not in item.location_ids:
            errors.append(_error(path, f"{item.name} ({item.sku}) is not sold at this location."))
            continue
        if currency is not None and item.currency != currency:
            errors.append(_error(path, f"{item.name} is priced in {item.currency}, the order in {currency}: "
                                 "one order has one currency."))
            continue
        currency = item.currency
        unit, modifiers = Decimal(item.price_amount), []
        for j, chosen in enumerate(line.get("modifiers") or []):
            option, message = _option_price(item, chosen)
            if message:
                errors.append(_error(f"/lines/{i}/modifiers/{j}", message))
                continue
            unit += Decimal(option["price"]["amount"])
            modifiers.append({**option, "price": option["price"]["amount"]})
        line_total = unit * line["quantity"]
        total += line_total
        priced.append({"position": i, "sku": item.sku, "name": item.name, "quantity": line["quantity"],
                       "unit_price": str(unit), "line_total": str(line_total), "modifiers": modifiers,
                       "note": line.get("note")})
    return Priced(priced, currency, total, errors)


def _payment_errors(payment: dict[str, Any], priced: Priced) -> list[dict[str, str]]:
    if payment["type"] == "pay_at_pos":
        return [_error(f"/payment/{name}", f"Leave {name} empty for a pay-at-POS order: the customer pays at "
                       "the till.") for name in ("amount", "currency", "reference") if name in payment]
    errors = [_error(f"/payment/{name}", f"A prepaid order needs its {words}.")
              for name, words in (("amount", "amount paid"), ("reference", "payment reference"))
              if name not in payment]
    amount = payment.get("amount")
    if amount and priced.currency and not priced.errors:
        if payment.get("currency", priced.currency) != priced.currency:
            errors.append(_error("/payment/currency", f"Currency must be {priced.currency}, the currency "
                                 "of the catalog's prices."))
        elif Decimal(amount) != priced.total:
            errors.append(_error("/payment/amount", f"The amount paid ({amount} {priced.currency}) must "
                                 f"equal the order's total: the order's total is {priced.total} "
                                 f"{priced.currency}, the catalog's prices of its lines."))
    return errors


def _chosen(modifiers: list[dict[str, Any]] | None) -> tuple[tuple[str, str], ...]:
    return tuple((m["name"], m["option"]) for m in modifiers or [])


def _request_of(body: dict[str, Any]) -> dict[str, Any]:
    """What makes two create requests the same order (amounts and times compared by value)."""
    payment = body["payment"]
    return {
        "location_id": body["location_id"],
        "lines": [(line["sku"], line["quantity"], _chosen(line.get("modifiers")), line.get("note"))
                  for line in body["lines"]],
        "payment": (payment["type"], Decimal(payment["amount"]) if "amount" in payment else None,
                    payment.get("reference")),
        "customer_key": body.get("customer_key"), "pickup_at": parse_time(body.get("pickup_at")),
        "note": body.get("note"), "channel": body.get("channel"),
    }


def _request_of_order(order: Order) -> dict[str, Any]:
    payment = order.payment
    prepaid = payment["type"] == "prepaid"
    return {
        "location_id": order.location_id,
        "lines": [(line.sku, line.quantity, _chosen(line.modifiers), line.note) for line in order.lines],
        "payment": (payment["type"], Decimal(payment["amount"]) if prepaid else None,
                    payment.get("reference")),
        "customer_key": order.customer_key, "pickup_at": order.pickup_at, "note": order.note,
        "channel": order.channel,
    }


def _existing(session: Session, hub_id: str, body: dict[str, Any]) -> Order | None:
    """The order already made for this channel order id, if the request is the same; 409 if it differs."""
    order = session.scalar(select(Order).where(Order.hub_id == hub_id,
                                               Order.channel_order_id == body["channel_order_id"])
                           .execution_options(populate_existing=True))
    if order is not None and _request_of_order(order) != _request_of(body):
        raise ProblemError(409, f"An order with channel order id {body['channel_order_id']!r} exists already "
                           "with other contents; an order is created once per channel order id. Use Update "
                           "order to change it, or send a new channel order id.",
                           errors=[_error("/channel_order_id", "used already by a different order "
                                          f"({order.id})")])
    return order


def _location(session: Session, hub_id: str, location_id: str) -> Location:
    location = session.scalar(select(Location).where(Location.id == location_id, Location.hub_id == hub_id))
    if location is None:
        raise validation_error([_error("/location_id", f"There is no location {location_id!r} in this hub; "
                                       f"{_LOCATIONS}.")])
    return location


def _insert_once(session: Session, values: dict[str, Any]) -> bool:
    """Insert the order unless its channel order id is taken (a concurrent create waits for the first)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = (dialect.insert(Order).values(**values)
            .on_conflict_do_nothing(index_elements=["hub_id", "channel_order_id"]).returning(Order.id))
    return session.execute(stmt).scalar_one_or_none() is not None


def create_order(session: Session, hub_id: str, body: dict[str, Any]) -> tuple[Order, bool]:
    """The order for this channel order id: made now (True), or the one made before (False)."""
    existing = _existing(session, hub_id, body)
    if existing is not None:
        return existing, False
    location = _location(session, hub_id, body["location_id"])
    priced = price_lines(session, hub_id, location.id, body["lines"])
    errors = priced.errors + _payment_errors(body["payment"], priced)
    if errors:
        raise validation_error(errors)
    payment = dict(body["payment"])
    if payment["type"] == "prepaid":
        payment["currency"] = priced.currency
    now, order_id = utcnow(), new_id("ord")
    inserted = _insert_once(session, {
        "id": order_id, "hub_id": hub_id, "connection_id": location.connection_id, "location_id": location.id,
        "channel_order_id": body["channel_order_id"], "channel": body.get("channel"), "status": "received",
        "status_changed_at": now, "payment": payment, "total_amount": str(priced.total),
        "currency": priced.currency, "customer_key": body.get("customer_key"),
        "pickup_at": parse_time(body.get("pickup_at")), "note": body.get("note"), "version": 1,
        "pos_state": {}, "stock_held": False, "feed_seq": 0, "created_at": now, "updated_at": now})
    if not inserted:  # a concurrent request made it first
        return _existing(session, hub_id, body), False
    order = session.get(Order, order_id)
    order.lines = [OrderLine(**line) for line in priced.lines]
    session.flush()
    hold_stock(session, order)
    connection = session.get(Connection, order.connection_id)
    if delivers(connection):
        queue_delivery(session, order, "create")
    record_change(session, order, "received", reason=None, source="channel", at=now)
    return order, True


def _order_for_change(session: Session, hub_id: str, order_id: str, doing: str) -> Order:
    """The hub's order, locked; 422 on /order_id when there is none, 409 when it is final."""
    order = session.scalar(select(Order).where(Order.id == order_id, Order.hub_id == hub_id).with_for_update()
                           .execution_options(populate_existing=True))
    if order is None:
        raise validation_error([_error("/order_id", f"There is no order {order_id!r} in this hub; find it "
                                       "with GET /v1/orders.")])
    if order.status in FINAL:
        raise ProblemError(409, f"The order is {order.status} already, so it cannot be {doing}.",
                           errors=[_error("/order_id", f"order {order.id} is {order.status}")])
    return order


def update_order(session: Session, hub_id: str, body: dict[str, Any]) -> Order:
    """Replace the lines of an order the POS has not started; the hold moves by the difference."""
    order = _order_for_change(session, hub_id, body["order_id"], "changed")
    if order.status not in CHANGEABLE:
        raise ProblemError(409, f"The order is {order.status}: the POS has started making it, so its lines "
                           "can no longer change. Cancel it instead, if that is still possible.",
                           errors=[_error("/order_id", f"order {order.id} is {order.status}")])
    priced = price_lines(session, hub_id, order.location_id, body["lines"])
    errors = list(priced.errors)
    if not errors and priced.currency != order.currency:
        errors.append(_error("/lines", f"The order is in {order.currency}; these meals are priced in "
                             f"{priced.currency}."))
    paid = order.payment.get("amount") if order.payment.get("type") == "prepaid" else None
    if not errors and paid is not None and priced.total != Decimal(paid):
        errors.append(_error("/lines", f"The order was prepaid {paid} {order.currency}; the new lines cost"
                             f" {priced.total} {order.currency}. A prepaid order's total cannot change."))
    if errors:
        raise validation_error(errors)
    old = line_counts(order.lines)
    order.lines = [OrderLine(**line) for line in priced.lines]
    order.total_amount = str(priced.total)
    order.version += 1
    session.flush()
    if order.stock_held:
        change_hold(session, order, old, line_counts(order.lines))
    bump_feed(session, order)
    connection = session.get(Connection, order.connection_id)
    if delivers(connection) and unsent_create(session, order) is None:
        queue_delivery(session, order, "update")
    return order


def cancel_order(session: Session, hub_id: str, body: dict[str, Any]) -> Order:
    """Cancel the order at once when its POS never had it; otherwise ask the POS (its answer decides)."""
    order = _order_for_change(session, hub_id, body["order_id"], "cancelled")
    reason = body.get("reason")
    connection = session.get(Connection, order.connection_id)
    if not delivers(connection):
        apply_status(session, order, "cancelled", reason=reason, source="channel")
        return order
    create = unsent_create(session, order)
    if create is not None:
        withdrawn = session.execute(
            update(OrderDelivery).where(OrderDelivery.id == create.id, OrderDelivery.status == create.status,
                                        OrderDelivery.attempts == create.attempts)
            .values(status=SKIPPED, last_error="The order was cancelled before it reached the POS.",
                    next_attempt_at=None).execution_options(synchronize_session=False)).rowcount == 1
        if withdrawn:
            apply_status(session, order, "cancelled", reason=reason, source="channel")
            return order
    queue_delivery(session, order, "cancel", reason=reason)
    return order


# ---------- adjust_stock ----------

def adjust_stock(session: Session, hub_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """Set or adjust a meal's count at a location; low_stock once per crossing. The stock level."""
    has_set, has_adjust = "set_quantity" in body, "adjust_by" in body
    if has_set == has_adjust:
        message = ("Fill either Set quantity to or Adjust by, not both." if has_set
                   else "Fill Set quantity to (a recount) or Adjust by (a delivery or a loss).")
        raise validation_error([_error("/set_quantity", message), _error("/adjust_by", message)])
    location = _location(session, hub_id, body["location_id"])
    item = items_by_sku(session, hub_id, [body["sku"]]).get(body["sku"])
    if item is None or item.deleted_at is not None:
        raise validation_error([_error("/sku", f"There is no meal with SKU {body['sku']!r} in the catalog; "
                                       "pick one from the list of menu items (GET /v1/menu-items).")])
    previous = session.scalar(select(InventoryLevel.quantity).where(
        InventoryLevel.location_id == location.id, InventoryLevel.sku == item.sku).with_for_update()) or 0
    target = body["set_quantity"] if has_set else previous + body["adjust_by"]
    change = set_stock(session, hub_id, location.id, item.sku, max(QUANTITY_MIN, min(QUANTITY_MAX, target)))
    if change.crossed_low:
        emit_low_stock(session, session.get(Connection, location.connection_id), location, item.sku, change,
                       item.name)
    is_low = change.quantity <= change.threshold
    return {"location_id": location.id, "sku": item.sku, "quantity": change.quantity,
            "previous_quantity": previous, "is_low": is_low, "threshold": change.threshold}

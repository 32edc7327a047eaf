"""Orders' status rule without the purchase recording: transitions, stock holds, events and public shape.

hub.orders.links completes an order its reported purchase settles with `move_status` (the purchase
is linked already); hub.orders.service adds the completion purchase on top (`apply_status`). This
module sits below both, so neither needs the other at import time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, object_session

from hub.connectors.base import OrderData, OrderLineData
from hub.events import emit
from hub.inventory import emit_low_stock, item_names
from hub.models import Connection, Location, Order, OrderDelivery, OrderLine, OrderStatusChange, utcnow
from hub.refs import connection_ref, iso, location_ref
from hub.stock import Sale, change_stock, sell

STATUSES = ("received", "sent", "accepted", "rejected", "ready", "completed", "cancelled")
FINAL = frozenset({"rejected", "completed", "cancelled"})
# Forward moves only: a status may follow any of lower rank (accepted and rejected are alternatives).
_RANK = {"received": 0, "sent": 1, "accepted": 2, "rejected": 2, "ready": 3, "completed": 4}
# update_order is refused past these: the POS has started making the order.
CHANGEABLE = frozenset({"received", "sent", "accepted"})


def can_move(current: str, status: str) -> bool:
    """Whether an order in `current` may move to `status` (forward only; cancelled from any open status)."""
    if current in FINAL or status not in STATUSES or status == current:
        return False
    if status == "cancelled":
        return True
    return _RANK[status] > _RANK[current]


def bump_feed(session: Session, order: Order) -> None:
    """Give the order the connection's next feed position, so a push POS sees it again."""
    session.execute(select(Connection.id).where(Connection.id == order.connection_id).with_for_update())
    top = session.scalar(select(func.max(Order.feed_seq)).where(Order.connection_id == order.connection_id))
    order.feed_seq = (top or 0) + 1


def _emit_crossings(session: Session, order: Order, crossings: list[tuple[str, Any]]) -> None:
    """One low_stock event per crossing the order's stock change caused."""
    if not crossings:
        return
    connection = session.get(Connection, order.connection_id)
    location = session.get(Location, order.location_id)
    names = item_names(session, order.hub_id, {sku for sku, _ in crossings})
    for sku, change in crossings:
        emit_low_stock(session, connection, location, sku, change, names.get(sku))


def line_counts(lines: list[OrderLine]) -> dict[str, int]:
    """Quantity per sku of these order lines."""
    counts: dict[str, int] = {}
    for line in lines:
        counts[line.sku] = counts.get(line.sku, 0) + line.quantity
    return counts


def change_hold(session: Session, order: Order, old: dict[str, int], new: dict[str, int]) -> None:
    """Move the order's hold from the `old` quantities per sku to the `new` ones, like sales and returns.

    What more is held is sold off the location's stock (low_stock once per crossing); what is
    released is added back (re-arming low_stock above the threshold). Untracked items are left alone.
    """
    sales = []
    for sku in sorted(set(old) | set(new)):
        delta = new.get(sku, 0) - old.get(sku, 0)
        if delta > 0:
            sales.append(Sale(order.location_id, sku, delta))
        elif delta < 0:
            change_stock(session, order.hub_id, order.location_id, sku, -delta, create=False)
    crossings = [(sale.sku, change) for _, sale, change in sell(session, order.hub_id, sales)]
    _emit_crossings(session, order, crossings)


def hold_stock(session: Session, order: Order) -> None:
    """Take the order's lines off the location's stock (a sale's semantics)."""
    change_hold(session, order, {}, line_counts(order.lines))
    order.stock_held = True


def release_stock(session: Session, order: Order) -> None:
    """Give back what the order holds (rejected or cancelled before completion)."""
    if order.stock_held:
        change_hold(session, order, line_counts(order.lines), {})
        order.stock_held = False


def record_change(session: Session, order: Order, status: str, *, reason: str | None, source: str,
                  at: datetime | None = None, previous: str | None = None) -> None:
    """Write the history row, bump the feed, emit order_status_changed (the order has `status` already)."""
    at = at or utcnow()
    session.add(OrderStatusChange(order_id=order.id, status=status, reason=reason, source=source, at=at))
    bump_feed(session, order)
    session.flush()
    payload = {"type": "order_status_changed", "occurred_at": iso(at), "previous_status": previous,
               "status": status, "reason": reason, "changed_at": iso(at), "source": source,
               "order": order_payload(session, order)}
    emit(session, order.hub_id, "order_status_changed", payload, connection_id=order.connection_id,
         location_id=order.location_id)


def move_status(session: Session, order: Order, status: str, *, reason: str | None = None,
                source: str = "pos", at: datetime | None = None, pos_state: dict[str, Any] | None = None,
                on_completed: Callable[[Session, Order], object] | None = None) -> bool:
    """Move the order to `status` if the rule allows it; False when the report is ignored.

    A rejection or cancellation releases the held stock; on reaching completed, `on_completed` runs
    before the change is recorded (the completion purchase, so the event names it). Every change is
    one history row and one order_status_changed event.
    """
    if pos_state is not None:
        order.pos_state = pos_state
    if not can_move(order.status, status):
        return False
    previous = order.status
    at = at or utcnow()
    order.status, order.status_reason, order.status_changed_at = status, reason, at
    if status in ("rejected", "cancelled"):
        release_stock(session, order)
    session.flush()
    if status == "completed" and on_completed is not None:
        on_completed(session, order)
    record_change(session, order, status, reason=reason, source=source, at=at, previous=previous)
    return True


# ---------- shapes ----------

def order_name(order: Order, location: Location | None) -> str:
    """A human name for dropdowns, e.g. "Order WEB-1042 at Lobby fridge"."""
    where = f" at {location.name}" if location is not None else ""
    return f"Order {order.channel_order_id}{where}"


def delivery_view(delivery: OrderDelivery | None) -> dict[str, Any] | None:
    """The order's latest delivery to its POS, as the order payload shows it."""
    if delivery is None:
        return None
    return {"operation": delivery.operation, "status": delivery.status, "attempts": delivery.attempts,
            "last_error": delivery.last_error,
            "next_attempt_at": iso(delivery.next_attempt_at) if delivery.status == "pending" else None}


def latest_delivery(session: Session, order_id: str) -> OrderDelivery | None:
    """The order's most recent delivery, if any."""
    return session.scalar(select(OrderDelivery).where(OrderDelivery.order_id == order_id)
                          .order_by(OrderDelivery.created_at.desc(), OrderDelivery.id.desc()).limit(1)
                          .execution_options(populate_existing=True))


def _payment_view(order: Order) -> dict[str, Any]:
    payment = order.payment or {}
    if payment.get("type") == "prepaid":
        return {"type": "prepaid", "amount": payment["amount"], "reference": payment.get("reference")}
    return {"type": "pay_at_pos"}


def order_payload(session: Session, order: Order) -> dict[str, Any]:
    """The order as schemas/common/order.json."""
    connection = session.get(Connection, order.connection_id)
    location = session.get(Location, order.location_id)
    history = session.scalars(select(OrderStatusChange).where(OrderStatusChange.order_id == order.id)
                              .order_by(OrderStatusChange.at, OrderStatusChange.id))
    return {
        "id": order.id,
        "name": order_name(order, location),
        "channel_order_id": order.channel_order_id,
        "channel": order.channel,
        "status": order.status,
        "status_reason": order.status_reason,
        "status_changed_at": iso(order.status_changed_at),
        "connection": connection_ref(connection),
        "location": location_ref(location),
        "lines": [{"sku": line.sku, "name": line.name, "quantity": line.quantity,
                   "unit_price": line.unit_price, "line_total": line.line_total,
                   "modifiers": line.modifiers or [], "note": line.note} for line in order.lines],
        "total": order.total_amount,
        "currency": order.currency,
        "payment": _payment_view(order),
        "customer_key": order.customer_key,
        "pickup_at": iso(order.pickup_at),
        "note": order.note,
        "version": order.version,
        "pos_order_id": order.pos_order_id,
        "purchase_id": order.purchase_id,
        "delivery": delivery_view(latest_delivery(session, order.id)),
        "history": [{"status": h.status, "reason": h.reason, "source": h.source, "at": iso(h.at)}
                    for h in history],
        "created_at": iso(order.created_at),
        "updated_at": iso(order.updated_at),
    }


def order_data(order: Order) -> OrderData:
    """The order as a connector receives it, with the location's POS id resolved (order in a session)."""
    location = object_session(order).get(Location, order.location_id)
    payment = order.payment or {}
    prepaid = payment.get("type") == "prepaid"
    return OrderData(
        order_id=order.id, channel_order_id=order.channel_order_id,
        location_external_id=location.external_id if location is not None else None,
        lines=[OrderLineData(sku=line.sku, quantity=line.quantity, unit_price=line.unit_price,
                             line_total=line.line_total, name=line.name, modifiers=list(line.modifiers or []),
                             note=line.note) for line in order.lines],
        total=order.total_amount, currency=order.currency,
        payment_type="prepaid" if prepaid else "pay_at_pos",
        version=order.version, payment_amount=payment.get("amount") if prepaid else None,
        payment_reference=payment.get("reference") if prepaid else None, channel=order.channel,
        customer_key=order.customer_key, pickup_at=order.pickup_at, note=order.note,
    )



def accepted_snapshot(data: OrderData) -> dict[str, Any]:
    """What the POS took with this create or update: its version, total and lines (Order.pos_accepted)."""
    return {"version": data.version, "total": data.total,
            "lines": [{"sku": line.sku, "name": line.name, "quantity": line.quantity,
                       "unit_price": line.unit_price, "line_total": line.line_total,
                       "modifiers": list(line.modifiers or []), "note": line.note} for line in data.lines]}


def restore_accepted(session: Session, order: Order) -> bool:
    """Put back the lines, total and stock hold of the last version the POS took; False when there is none.

    The POS refused a later update and still makes that version, so the hub claims nothing else.
    """
    snapshot = order.pos_accepted
    if not snapshot or order.status in FINAL:
        return False
    old = line_counts(order.lines)
    order.lines = [OrderLine(position=position, **line) for position, line in enumerate(snapshot["lines"])]
    order.total_amount = snapshot["total"]
    session.flush()
    if order.stock_held:
        change_hold(session, order, old, line_counts(order.lines))
    bump_feed(session, order)
    return True

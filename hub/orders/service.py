"""Orders: the status rule with the purchase an order ends with, and the POS's status reports.

The rule itself, the stock an order holds, its events and its public shape live in
hub.orders.status (re-exported here); this module adds the completion purchase
(hub.orders.purchase_link), which hub.orders.links cannot import without a cycle.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.connectors.base import OrderStatusReport
from hub.models import Connection, Order
from hub.orders.purchase_link import record_completion_purchase
from hub.orders.status import (
    CHANGEABLE,
    FINAL,
    STATUSES,
    bump_feed,
    can_move,
    change_hold,
    delivery_view,
    hold_stock,
    latest_delivery,
    line_counts,
    move_status,
    order_data,
    order_name,
    order_payload,
    record_change,
    release_stock,
)

__all__ = [
    "CHANGEABLE", "FINAL", "STATUSES", "apply_reports", "apply_status", "bump_feed", "can_move",
    "change_hold", "delivery_view", "hold_stock", "latest_delivery", "line_counts", "order_data",
    "order_name", "order_payload", "record_change", "release_stock",
]


def _record_completion(session: Session, order: Order) -> None:
    """The purchase of a completed order, when none is linked yet (hub.orders.purchase_link)."""
    if order.purchase_id is None:
        record_completion_purchase(session, order)


def apply_status(session: Session, order: Order, status: str, *, reason: str | None = None,
                 source: str = "pos", at: datetime | None = None,
                 pos_state: dict[str, Any] | None = None) -> bool:
    """Move the order to `status` if the rule allows it; False when the report is ignored.

    A rejection or cancellation releases the held stock; reaching completed records the order's
    purchase when none is linked. Every change is one history row and one order_status_changed event.
    """
    return move_status(session, order, status, reason=reason, source=source, at=at, pos_state=pos_state,
                       on_completed=_record_completion)


def apply_reports(session: Session, connection: Connection, reports: list[OrderStatusReport],
                  source: str = "pos") -> int:
    """Apply the POS's status reports to the connection's orders (by POS order id); how many changed."""
    ids = {report.pos_order_id for report in reports if report.pos_order_id}
    if not ids:
        return 0
    orders = {o.pos_order_id: o for o in session.scalars(
        select(Order).where(Order.connection_id == connection.id, Order.pos_order_id.in_(ids))
        .order_by(Order.id).with_for_update())}
    changed = 0
    for report in reports:
        order = orders.get(report.pos_order_id)
        if order is not None and apply_status(session, order, report.status, reason=report.reason,
                                              source=source, at=report.occurred_at,
                                              pos_state=report.pos_state):
            changed += 1
    return changed

"""Following sent orders: the POS's statuses, read after each poll or carried by a vendor callback."""

from __future__ import annotations

import logging

from sqlalchemy import select

from hub.connectors.base import Capability, Connector, ConnectorError, OrderRef, OrderStatusReport
from hub.db import Database
from hub.models import Connection, Order
from hub.orders.service import FINAL, apply_reports

log = logging.getLogger(__name__)

MAX_FOLLOWED = 500  # open orders asked about per poll, oldest status change first


def open_orders(db: Database, connection_id: str) -> list[OrderRef]:
    """The connection's orders the POS has and that are not final yet."""
    with db.session() as session:
        rows = session.execute(
            select(Order.id, Order.pos_order_id, Order.pos_state)
            .where(Order.connection_id == connection_id, Order.pos_order_id.is_not(None),
                   Order.status.not_in(FINAL))
            .order_by(Order.status_changed_at, Order.id).limit(MAX_FOLLOWED)
        ).all()
    return [OrderRef(order_id, pos_order_id, dict(state or {})) for order_id, pos_order_id, state in rows]


def follow_orders(db: Database, connector: Connector, connection_id: str) -> int:
    """Ask the POS for its open orders' statuses and apply them; how many orders changed.

    A failure to read them is logged and left for the next poll: it does not fail the poll.
    """
    if Capability.ORDERS not in connector.capabilities:
        return 0
    refs = open_orders(db, connection_id)
    if not refs:
        return 0
    try:
        reports = connector.fetch_order_statuses(refs)
    except ConnectorError as exc:
        log.warning("order statuses of %s not read: %s", connection_id, exc)
        return 0
    return apply_callback_reports(db, connection_id, reports)


def apply_callback_reports(db: Database, connection_id: str, reports: list[OrderStatusReport]) -> int:
    """Apply status reports (a poll's or a callback's) in one transaction; how many orders changed."""
    if not reports:
        return 0
    with db.session() as session:
        connection = session.get(Connection, connection_id)
        return apply_reports(session, connection, reports)

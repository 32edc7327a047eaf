"""The purchase an order ends with: recorded once, decremented once (DESIGN §6a).

When an order reaches ``completed`` without a purchase, hub.orders.service asks for this one:
the order's lines and total under the POS's order id (or ``order:<id>`` without one), prepaid or
paid at the POS, a normal ``new_purchase`` event, and no stock decrement (the order's hold was
the decrement). When the POS reports the purchase itself, before or after, hub.orders.links
finds the order and the purchase is linked and recorded once.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from hub.connectors.base import PurchaseLineRecord, PurchaseRecord
from hub.models import Connection, Location, Order, utcnow
from hub.orders.links import OrderLinks
from hub.purchases import record_purchases


def completion_external_id(order: Order) -> str:
    """The POS purchase id the order's own purchase is recorded under."""
    return order.pos_order_id or f"order:{order.id}"


def completion_record(order: Order, location: Location) -> PurchaseRecord:
    """The order as the purchase it ends with."""
    prepaid = (order.payment or {}).get("type") == "prepaid"
    return PurchaseRecord(
        external_id=completion_external_id(order), location_external_id=location.external_id,
        occurred_at=order.status_changed_at or utcnow(),
        lines=[PurchaseLineRecord(sku=line.sku, quantity=line.quantity, unit_price=line.unit_price,
                                  line_total=line.line_total, name=line.name) for line in order.lines],
        total=order.total_amount, currency=order.currency,
        payment_state="prepaid" if prepaid else "paid_at_pos", customer_key=order.customer_key,
        order_id=order.id,
    )


def record_completion_purchase(session: Session, order: Order) -> str:
    """The completed order's purchase id, recorded now (without a stock decrement) unless it has one."""
    if order.purchase_id is not None:
        return order.purchase_id
    connection = session.get(Connection, order.connection_id)
    location = session.get(Location, order.location_id)
    record = completion_record(order, location)
    [result] = record_purchases(session, connection, [record], locations={location.external_id: location},
                                links=OrderLinks.of(record.external_id, order))
    return result.purchase_id

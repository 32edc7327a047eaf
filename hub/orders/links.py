"""Which reported purchases settle an order: found by hub.purchases.record_purchases, before it records them.

A purchase belongs to an order of its connection when its POS id is the order's POS id, or when
it names the order (``PurchaseRecord.order_id``: the hub's order id or the channel's order id).
Such a purchase decrements no stock (the order's hold was the decrement), is linked to the order
(``Order.purchase_id``), and is recorded once: when the order has its purchase already (e.g. the
one the hub recorded at completion), a report of it under another POS id is that purchase again.
Linking moves an order that is not final to ``completed`` with hub.orders.status's rule (the
purchase is linked first, so no completion purchase is recorded for it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from hub.connectors.base import PurchaseRecord
from hub.models import Order
from hub.orders.status import FINAL, move_status

# Orders a purchase can no longer settle: their hold was given back, so such a sale is a sale of its own.
RELEASED = frozenset({"rejected", "cancelled"})


@dataclass
class OrderLinks:
    """The orders a batch of purchases settles, by the purchases' POS ids."""

    orders: dict[str, Order] = field(default_factory=dict)
    complete: bool = True
    # A second POS id for an order already settled by another purchase of the same batch: that one's id.
    followers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, external_id: str, order: Order) -> OrderLinks:
        """The order's own purchase (the hub records it at completion; its status is already set)."""
        return cls({external_id: order}, complete=False)

    def recorded(self, external_id: str) -> bool:
        """Whether this purchase is one its order has already (recorded before, or earlier in the batch)."""
        order = self.orders.get(external_id)
        return external_id in self.followers or (order is not None and order.purchase_id is not None)

    def fill(self, candidates: dict[str, Any]) -> None:
        """Give the purchases left out as recorded the id of their order's purchase (they are duplicates)."""
        for external_id, order in self.orders.items():
            if order.purchase_id is not None and not candidates[external_id].purchase_id:
                candidates[external_id].purchase_id = order.purchase_id
        for external_id, leader in self.followers.items():
            candidates[external_id].purchase_id = candidates[leader].purchase_id

    def held(self, external_id: str) -> bool:
        """Whether this purchase's stock was taken by its order's hold (it decrements nothing more)."""
        return external_id in self.orders

    def settle(self, session: Session, purchase_ids: dict[str, str]) -> None:
        """Link each order to its purchase, and move the ones not final yet to completed."""
        for external_id, order in self.orders.items():
            purchase_id = purchase_ids.get(external_id)
            if not purchase_id:
                continue
            if order.purchase_id is None:
                order.purchase_id = purchase_id
                session.flush()
            if self.complete and order.status not in FINAL:
                move_status(session, order, "completed", source="pos")


def find_order_links(session: Session, connection_id: str, records: list[PurchaseRecord]) -> OrderLinks:
    """The open or completed orders of the connection that these purchases settle (locked for the change)."""
    pos_ids = sorted({r.external_id for r in records})
    named = sorted({r.order_id for r in records if r.order_id})
    condition = Order.pos_order_id.in_(pos_ids)
    if named:
        # A purchase may name its order by the hub's id, the channel's or the POS's own (a reservation id).
        condition = or_(condition, Order.id.in_(named), Order.channel_order_id.in_(named),
                        Order.pos_order_id.in_(named))
    found = list(session.scalars(
        select(Order).where(Order.connection_id == connection_id, condition, Order.status.not_in(RELEASED))
        .order_by(Order.id).with_for_update().execution_options(populate_existing=True)))
    if not found:
        return OrderLinks()
    by_pos_id = {o.pos_order_id: o for o in found if o.pos_order_id}
    by_name = {**{o.pos_order_id: o for o in found if o.pos_order_id},
               **{o.channel_order_id: o for o in found}, **{o.id: o for o in found}}
    links = OrderLinks()
    leaders: dict[str, str] = {}  # order id -> the POS id of the batch's first purchase of it
    for record in records:
        order = by_pos_id.get(record.external_id) or by_name.get(record.order_id or "")
        if order is None or record.external_id in links.orders or record.external_id in links.followers:
            continue
        if order.id in leaders:
            links.followers[record.external_id] = leaders[order.id]
        else:
            leaders[order.id] = record.external_id
            links.orders[record.external_id] = order
    return links

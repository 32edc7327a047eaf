"""Create order: send an order to a location's POS, once per channel order id."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from actions.base import ActionSpec
from hub.models import Order
from hub.orders.changes import create_order
from hub.orders.service import order_payload


def respond(session: Session, result: tuple[Order, bool]) -> tuple[int, dict[str, Any]]:
    """202 with a new order; 200 with the order made before for the same channel order id."""
    order, created = result
    return (202 if created else 200), order_payload(session, order)


ACTION = ActionSpec(
    name="create_order",
    title="Create order",
    description=("Send an order to the POS of a location, prepaid in your channel or paid at the POS on "
                 "pickup. Prices come from the catalog. One order per channel order id: sending the same "
                 "one again answers the order made the first time."),
    input_schema="actions/create_order.input.json",
    output_schema="actions/create_order.output.json",
    run=create_order,
    respond=respond,
    response_description="The order, received and on its way to the POS.",
)

"""Update order: change the meals of an order the POS has not started."""

from __future__ import annotations

from actions.base import ActionSpec
from hub.orders.changes import update_order
from hub.orders.service import order_payload

ACTION = ActionSpec(
    name="update_order",
    title="Update order",
    description=("Change the meals of an order while the POS has not started making it (received, sent or "
                 "accepted). The new lines replace the old ones; the change is sent to the POS."),
    input_schema="actions/update_order.input.json",
    output_schema="actions/update_order.output.json",
    run=update_order,
    respond=lambda session, order: (202, order_payload(session, order)),
    response_description="The order with its new lines, the change on its way to the POS.",
)

"""Cancel order: withdraw an order that is not completed; the POS's answer decides."""

from __future__ import annotations

from actions.base import ActionSpec
from hub.orders.changes import cancel_order
from hub.orders.service import order_payload

ACTION = ActionSpec(
    name="cancel_order",
    title="Cancel order",
    description=("Cancel an order that is not completed yet. An order the POS never received is cancelled at "
                 "once; otherwise the POS is asked, and a refusal shows on the order's delivery."),
    input_schema="actions/cancel_order.input.json",
    output_schema="actions/cancel_order.output.json",
    run=cancel_order,
    respond=lambda session, order: (202, order_payload(session, order)),
    response_description="The order, its cancellation on its way to the POS.",
)

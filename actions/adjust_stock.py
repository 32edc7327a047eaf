"""Adjust stock: set or change a meal's count at a location from another system."""

from __future__ import annotations

from actions.base import ActionSpec
from hub.orders.changes import adjust_stock

ACTION = ActionSpec(
    name="adjust_stock",
    title="Adjust stock",
    description=("Set how many of a meal a location has (a recount) or add and take away (a delivery "
                 "arrived, some spoiled). Low stock starts once when the count drops to its threshold."),
    input_schema="actions/adjust_stock.input.json",
    output_schema="actions/adjust_stock.output.json",
    run=adjust_stock,
    respond=lambda session, level: (200, level),
    status=200,
    response_description="The meal's stock level at the location after the change.",
)

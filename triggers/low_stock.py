"""low_stock: an item's stock at a location fell to or below its threshold (once per crossing)."""

from __future__ import annotations

from triggers.base import TriggerSpec

TRIGGER = TriggerSpec(
    name="low_stock",
    title="Low stock",
    description=("Starts when the stock of a meal at a location falls to its low-stock threshold or below. "
                 "It starts once per drop, and again only after the stock has been refilled above it."),
    output_schema="triggers/low_stock.output.json",
    filters_schema="triggers/low_stock.filters.json",
    filters=("location_id", "connection_id", "sku"),
)

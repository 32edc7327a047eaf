"""new_purchase: one item per purchase recorded at any POS, however it arrived."""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists

from hub.models import Event, PurchaseLine
from triggers.base import TriggerSpec


def _has_line_with_sku(sku: str) -> ColumnElement[bool]:
    # A purchase has many lines, so its event carries no single sku: look at the lines.
    return exists().where(PurchaseLine.purchase_id == Event.payload["purchase_id"].as_string(),
                          PurchaseLine.sku == sku)


def _lines_include(event: Event, sku: str) -> bool:
    return any(line.get("sku") == sku for line in event.payload.get("lines", []))


TRIGGER = TriggerSpec(
    name="new_purchase",
    title="New purchase",
    description=("Starts when a purchase is made at any of your points of sale (fridge, kiosk or till). "
                 "Each purchase starts it once, even if the POS reports it twice."),
    output_schema="triggers/new_purchase.output.json",
    filters_schema="triggers/new_purchase.filters.json",
    filters=("location_id", "connection_id", "sku"),
    clauses={"sku": _has_line_with_sku},
    matchers={"sku": _lines_include},
)

"""order_status_changed: an order's status changed (received, sent, accepted, rejected, ready, ...)."""

from __future__ import annotations

from sqlalchemy import ColumnElement

from hub.models import Event
from triggers.base import TriggerSpec


def _status_is(status: str) -> ColumnElement[bool]:
    # The new status is in the payload, not an Event column.
    return Event.payload["status"].as_string() == status


def _status_matches(event: Event, status: str) -> bool:
    return event.payload.get("status") == status


TRIGGER = TriggerSpec(
    name="order_status_changed",
    title="Order status changed",
    description=("Starts each time an order's status changes: received by the hub, sent to the POS, "
                 "accepted, rejected (with the POS's reason), ready for pickup, completed or cancelled. "
                 "Filter by status to hear, for example, only when orders are ready."),
    output_schema="triggers/order_status_changed.output.json",
    filters_schema="triggers/order_status_changed.filters.json",
    filters=("location_id", "connection_id", "status"),
    clauses={"status": _status_is},
    matchers={"status": _status_matches},
)

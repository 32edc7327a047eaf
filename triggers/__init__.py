"""Triggers: one module per trigger, registered in the explicit TRIGGERS list below."""

from __future__ import annotations

from triggers.base import TriggerSpec
from triggers.connection_failing import TRIGGER as CONNECTION_FAILING
from triggers.connection_recovered import TRIGGER as CONNECTION_RECOVERED
from triggers.low_stock import TRIGGER as LOW_STOCK
from triggers.new_purchase import TRIGGER as NEW_PURCHASE
from triggers.order_status_changed import TRIGGER as ORDER_STATUS_CHANGED
from triggers.pos_offline import TRIGGER as POS_OFFLINE
from triggers.pos_online import TRIGGER as POS_ONLINE

TRIGGERS: list[TriggerSpec] = [
    NEW_PURCHASE,
    LOW_STOCK,
    POS_OFFLINE,
    POS_ONLINE,
    CONNECTION_FAILING,
    CONNECTION_RECOVERED,
    ORDER_STATUS_CHANGED,
]


def get_trigger(name: str) -> TriggerSpec | None:
    """The registered trigger of this name, or None."""
    for spec in TRIGGERS:
        if spec.name == name:
            return spec
    return None

"""Triggers: one module per trigger, registered in the explicit TRIGGERS list below."""

from __future__ import annotations

from triggers.base import TriggerSpec
from triggers.low_stock import TRIGGER as LOW_STOCK
from triggers.new_purchase import TRIGGER as NEW_PURCHASE
from triggers.pos_offline import TRIGGER as POS_OFFLINE
from triggers.pos_online import TRIGGER as POS_ONLINE

TRIGGERS: list[TriggerSpec] = [
    NEW_PURCHASE,
    LOW_STOCK,
    POS_OFFLINE,
    POS_ONLINE,
]


def get_trigger(name: str) -> TriggerSpec | None:
    """The registered trigger of this name, or None."""
    for spec in TRIGGERS:
        if spec.name == name:
            return spec
    return None

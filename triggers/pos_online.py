"""pos_online: a connection or location that was offline is heard from again."""

from __future__ import annotations

from triggers.base import TriggerSpec

TRIGGER = TriggerSpec(
    name="pos_online",
    title="POS back online",
    description="Starts when a point of sale or POS system that was offline is heard from again.",
    output_schema="triggers/pos_online.output.json",
    filters_schema="triggers/pos_online.filters.json",
    filters=("location_id", "connection_id"),
)

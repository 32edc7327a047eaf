"""connection_recovered: a POS connection whose failing streak was announced is polled successfully again."""

from __future__ import annotations

from triggers.base import TriggerSpec

TRIGGER = TriggerSpec(
    name="connection_recovered",
    title="Connection recovered",
    description="Starts when a POS connection that was reported failing is polled successfully again.",
    output_schema="triggers/connection_recovered.output.json",
    filters_schema="triggers/connection_recovered.filters.json",
    filters=("connection_id",),
)

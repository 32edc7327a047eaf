"""connection_failing: the hub cannot poll a POS connection (once per failing streak)."""

from __future__ import annotations

from triggers.base import TriggerSpec

TRIGGER = TriggerSpec(
    name="connection_failing",
    title="Connection failing",
    description=("Starts when the hub cannot poll a POS connection: at once when its credentials or settings "
                 "are refused (needs attention), or after 3 failed polls over 5 minutes when the POS or the "
                 "hub fails. Once per failing streak."),
    output_schema="triggers/connection_failing.output.json",
    filters_schema="triggers/connection_failing.filters.json",
    filters=("connection_id",),
)

"""pos_offline: a connection or location went silent for its offline window or reported itself inactive."""

from __future__ import annotations

from triggers.base import TriggerSpec

TRIGGER = TriggerSpec(
    name="pos_offline",
    title="POS offline",
    description=("Starts when a point of sale or a whole POS system has not been heard from for its offline "
                 "window (5 minutes unless set otherwise), or says it is inactive. Once per outage."),
    output_schema="triggers/pos_offline.output.json",
    filters_schema="triggers/pos_offline.filters.json",
    filters=("location_id", "connection_id"),
)

"""What a trigger is: its contract (name, words, schemas, filters) and the event query that serves it."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, Text, cast, select
from sqlalchemy.orm import Session

from hub.models import Event, EventRetentionMark
from hub.schemas import example

# Filters that are plain Event columns; a trigger may answer a filter differently (see new_purchase).
EVENT_COLUMNS = {
    "location_id": Event.location_id,
    "connection_id": Event.connection_id,
    "sku": Event.sku,
}


def column_clause(name: str, value: str) -> ColumnElement[bool]:
    """SQL for one filter answered by an Event column."""
    return EVENT_COLUMNS[name] == value


def column_match(event: Event, name: str, value: str) -> bool:
    """Whether an event (already in hand) passes one filter answered by an Event column."""
    return getattr(event, name) == value


@dataclass(frozen=True)
class TriggerSpec:
    """A trigger: its public contract, and how its filters select events."""

    name: str
    title: str
    description: str
    output_schema: str
    filters_schema: str
    filters: tuple[str, ...]
    # Per-filter overrides for filters that are not a plain Event column.
    clauses: Mapping[str, Callable[[str], ColumnElement[bool]]] = field(default_factory=dict)
    matchers: Mapping[str, Callable[[Event, str], bool]] = field(default_factory=dict)

    def sample(self) -> dict[str, Any]:
        """The output schema's first example: what a Zap shows before real data exists."""
        return example(self.output_schema)

    def clause(self, name: str, value: str) -> ColumnElement[bool]:
        """SQL selecting the events that pass one filter."""
        if name in self.clauses:
            return self.clauses[name](value)
        return column_clause(name, value)

    def matches(self, event: Event, filters: Mapping[str, str]) -> bool:
        """Whether an event passes every filter (used for hook subscriptions)."""
        if event.type != self.name:
            return False
        for name, value in filters.items():
            matcher = self.matchers.get(name)
            ok = matcher(event, value) if matcher else column_match(event, name, value)
            if not ok:
                return False
        return True


# Answered by a poll whose cursor points below the range retention kept (hub.retention).
PRUNED_HEADER = "X-Hub-Events-Pruned-Before"
PRUNED_HEADER_DESCRIPTION = (
    "Present when since_id or before_id points below the events still kept: retention deleted this hub's "
    "events with lower ids (older than the retention period, 90 days by default). The page holds what is "
    "left; the value is the first id retention kept. A cursor below it loses nothing more by moving to it.")


def pruned_before(session: Session, hub_id: str, since_id: int | None, before_id: int | None) -> int | None:
    """The first event id retention kept for the hub, when the cursor points below it; else None.

    A since_id below the highest deleted id skipped deleted events; a before_id at or below the first
    kept id asks only for deleted ones.
    """
    if since_id is None and before_id is None:
        return None
    through = session.scalar(select(EventRetentionMark.pruned_through)
                             .where(EventRetentionMark.hub_id == hub_id))
    if through is None:
        return None
    below = ((since_id is not None and since_id < through)
             or (before_id is not None and before_id <= through + 1))
    return through + 1 if below else None


def trigger_item(event_id: int, payload: Mapping[str, Any]) -> dict[str, Any]:
    """The item a poll returns and a hook delivers: the event's payload with its id."""
    return {"id": event_id, **payload}


def _page_query(spec: TriggerSpec, hub_id: str, columns: tuple, filters: Mapping[str, str], limit: int,
                since_id: int | None, before_id: int | None) -> tuple[Select, bool]:
    """The page's query (one range scan of the (hub_id, type, id) index) and whether it walks forward."""
    query = select(*columns).where(Event.hub_id == hub_id, Event.type == spec.name)
    if since_id is not None:
        query = query.where(Event.id > since_id)
    if before_id is not None:
        query = query.where(Event.id < before_id)
    for name, value in filters.items():
        query = query.where(spec.clause(name, value))
    walking_forward = since_id is not None and before_id is None
    order = Event.id.asc() if walking_forward else Event.id.desc()
    return query.order_by(order).limit(limit), walking_forward


def poll(session: Session, spec: TriggerSpec, hub_id: str, *, filters: Mapping[str, str],
         limit: int = 100, since_id: int | None = None, before_id: int | None = None) -> list[dict[str, Any]]:
    """A page of the trigger's items, newest first (one query on the (hub_id, type, id) index).

    With since_id alone the page holds the oldest `limit` events after it, so a cursor walks forward
    page by page and never skips a backlog; otherwise it holds the newest `limit` events.
    """
    query, walking_forward = _page_query(spec, hub_id, (Event.id, Event.payload), filters, limit,
                                         since_id, before_id)
    rows = list(session.execute(query))
    if walking_forward:
        rows.reverse()
    return [trigger_item(event_id, payload) for event_id, payload in rows]


# A payload stored compact ({"key":..., as hub.models.EventPayload writes it, never with a top-level "id")
# is spliced as it is; one stored with spaces (rows written before compact storage) is re-encoded. A key
# string holds no bare quote, so this prefix tells which it is.
_COMPACT_OBJECT = re.compile(r'\{"(?:[^"\\]|\\.)*":(?! )')
_COMPACT = {"separators": (",", ":")}


def _item_json(event_id: int, text: str) -> str:
    """`trigger_item(event_id, json.loads(text))` encoded compactly, without decoding it when it can."""
    if text == "{}":
        return f'{{"id":{event_id}}}'
    if _COMPACT_OBJECT.match(text):
        return f'{{"id":{event_id},{text[1:]}'
    # Spaced legacy text: decoded and encoded as before (a legacy "id" in it wins, as in trigger_item).
    return json.dumps(trigger_item(event_id, json.loads(text)), **_COMPACT)


def poll_json(session: Session, spec: TriggerSpec, hub_id: str, *, filters: Mapping[str, str],
              limit: int = 100, since_id: int | None = None, before_id: int | None = None) -> str:
    """The same page as `poll`, as the JSON text of its list, byte for byte what encoding `poll`'s
    answer compactly gives (Flask's jsonify; ASCII-escaped, as the stored payloads are).

    The payloads are selected as their stored text and spliced after the id, so a page of 100 is not
    decoded into Python and encoded again.
    """
    query, walking_forward = _page_query(spec, hub_id, (Event.id, cast(Event.payload, Text)), filters,
                                         limit, since_id, before_id)
    rows = session.execute(query).all()
    if walking_forward:
        rows.reverse()
    return "[" + ",".join([_item_json(event_id, text) for event_id, text in rows]) + "]"

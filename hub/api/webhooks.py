"""POST /v1/webhooks/<connection_id>: a vendor's native callback, checked with its signature scheme.

A callback is a hint, never the only path: whatever records it carries are recorded, and the
connection is made due for an early poll, which stays the backstop. Each vendor event is acted
on once: its event id is stored with the work (hub.callbacks), and a redelivery or a replay of a
signed callback answers 200 with "duplicate": true and does nothing (no contact, no early poll);
a 2xx, because Square and Shopify retry every other answer.

Order of checks, cheapest first and before any work: the rate limit (per connection; per source
address for ids that take no callbacks), the connection (an unknown id and a connection that takes
no callbacks get the same 404, without decrypting anything), then the signature.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from hub.callbacks import event_key, first_delivery
from hub.connectors import build_connector, connector_class
from hub.connectors.base import Capability, Connector, ConnectorError
from hub.endpoints import Endpoint
from hub.errors import ProblemError, not_found
from hub.inventory import CountUpdate, apply_counts
from hub.models import Connection
from hub.orders.service import apply_reports
from hub.polling import request_early_poll
from hub.presence import record_contact
from hub.purchases import record_purchases
from hub.ratelimit import check_rate_limit
from hub.refs import locations_by_external_id
from hub.runtime import Runtime, get_runtime

blueprint = Blueprint("webhooks", __name__)

ACCEPTING = "connection accepting callbacks"


def _signed_connector(rt: Runtime, connection_id: str, body: bytes) -> Connector:
    """The connection's connector once the callback is within its rate limit and correctly signed."""
    with rt.db.session() as s:
        connection = s.get(Connection, connection_id)
    cls = connector_class(connection.type) if connection is not None else None
    if cls is None or Capability.CALLBACKS not in cls.capabilities:
        # Counted per source address: made-up ids must not each get a fresh allowance.
        check_rate_limit(f"callback-source:{request.remote_addr}", "This address")
        raise not_found(ACCEPTING)
    check_rate_limit(f"callback:{connection_id}", "This connection's callbacks")
    connector = build_connector(connection, rt.vault)
    if not connector.verify_callback(request.headers, body, request.url):
        raise ProblemError(401, "The callback's signature does not match this connection's signing key.")
    return connector


def _answer(event_id: Any, poll_scheduled: bool, duplicate: bool) -> Response:
    return jsonify({"received": True, "event_id": None if event_id is None else str(event_id),
                    "poll_scheduled": poll_scheduled, "duplicate": duplicate})


@blueprint.post("/v1/webhooks/<connection_id>")
@Endpoint(
    operation_id="vendor_callback", summary="Receive a POS vendor's webhook", tag="Vendor callbacks",
    description="Accepts a POS vendor's native webhook (Square, Shopify, ...) for the connection, after "
    "checking that vendor's signature scheme. The body is the vendor's own format. Each vendor event is "
    "acted on once: a redelivered event (same event id, kept for 7 days) answers 200 with duplicate true and "
    "changes nothing. Callbacks are limited per connection (per source address for unknown ids).",
    scopes=(),  # signed by the vendor instead of an API key
    path_params=(("connection_id", "The hub's id of the POS connection the callback is for."),),
    errors=(400, 401, 404, 413, 429), response_description="The callback was accepted.",
    inline_request={"description": "The vendor's own webhook payload."},
    inline_response={
        "type": "object",
        "required": ["received", "event_id", "poll_scheduled", "duplicate"],
        "properties": {
            "received": {"type": "boolean", "const": True},
            "event_id": {"type": ["string", "null"], "description": "The vendor's event id, if it sent one."},
            "poll_scheduled": {"type": "boolean", "description": "An early poll of the connection is due."},
            "duplicate": {"type": "boolean",
                          "description": "This event was received before; nothing was done this time."},
        },
    },
)
def vendor_callback(connection_id: str) -> Response:
    """Verify the vendor's signature, then record what a new event carries and poll early."""
    rt = get_runtime()
    body = request.get_data(cache=True)
    connector = _signed_connector(rt, connection_id, body)
    try:
        hint = connector.parse_callback(request.headers, body)
    except (ConnectorError, ValueError) as exc:
        raise ProblemError(400, f"The callback could not be read: {exc}") from exc
    with rt.db.session() as s:
        connection = s.get(Connection, connection_id)
        if connection is None:  # deleted since the signature check
            raise not_found(ACCEPTING)
        # Claimed in the work's own transaction: if the work fails, the vendor's retry runs it.
        if not first_delivery(s, connection_id, event_key(hint.event_id, body)):
            return _answer(hint.event_id, poll_scheduled=False, duplicate=True)
        if hint.purchases:
            record_purchases(s, connection, hint.purchases, create_locations=True)
        if hint.inventory:
            known = locations_by_external_id(s, connection_id)
            apply_counts(s, connection, [CountUpdate(known[c.location_external_id], c.sku, c.quantity)
                                         for c in hint.inventory if c.location_external_id in known])
        if hint.order_statuses:
            apply_reports(s, connection, hint.order_statuses)
        record_contact(s, connection)
        if hint.poll_now:
            request_early_poll(s, connection_id)
    return _answer(hint.event_id, poll_scheduled=hint.poll_now, duplicate=False)

"""POST /v1/webhooks/<connection_id>: a vendor's native callback, checked with its signature scheme.

A callback is a hint, never the only path: whatever records it carries are
recorded (idempotently, so a redelivered event_id changes nothing), and the
connection is made due for an early poll, which stays the backstop.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from hub.connectors import build_connector
from hub.connectors.base import Capability, ConnectorError
from hub.errors import ProblemError, not_found
from hub.inventory import CountUpdate, apply_counts
from hub.models import Connection
from hub.polling import request_early_poll
from hub.presence import record_contact
from hub.purchases import record_purchases
from hub.refs import locations_by_external_id
from hub.runtime import get_runtime

blueprint = Blueprint("webhooks", __name__)


@blueprint.post("/v1/webhooks/<connection_id>")
def vendor_callback(connection_id: str) -> Response:
    """Verify the vendor's signature, record what the callback carries, and poll early."""
    rt = get_runtime()
    body = request.get_data(cache=True)
    with rt.db.session() as s:
        connection = s.get(Connection, connection_id)
        if connection is None:
            raise not_found("connection")
        connector = build_connector(connection, rt.vault)
        if Capability.CALLBACKS not in connector.capabilities:
            raise not_found("connection accepting callbacks")
    if not connector.verify_callback(request.headers, body, request.url):
        raise ProblemError(401, "The callback's signature does not match this connection's signing key.")
    try:
        hint = connector.parse_callback(request.headers, body)
    except (ConnectorError, ValueError) as exc:
        raise ProblemError(400, f"The callback could not be read: {exc}") from exc
    with rt.db.session() as s:
        connection = s.get(Connection, connection_id)
        if hint.purchases:
            record_purchases(s, connection, hint.purchases, create_locations=True)
        if hint.inventory:
            known = locations_by_external_id(s, connection_id)
            apply_counts(s, connection, [CountUpdate(known[c.location_external_id], c.sku, c.quantity)
                                         for c in hint.inventory if c.location_external_id in known])
        record_contact(s, connection)
        if hint.poll_now:
            request_early_poll(s, connection_id)
    return jsonify({"received": True, "event_id": hint.event_id, "poll_scheduled": hint.poll_now})

"""GET /v1/me (the auth test of Zapier and n8n)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify
from sqlalchemy import select

from hub.auth import current_principal
from hub.endpoints import ANY_KEY, Endpoint
from hub.models import Hub
from hub.runtime import get_runtime

blueprint = Blueprint("me", __name__)


@blueprint.get("/v1/me")
@Endpoint(
    operation_id="me", summary="Who am I", tag="Account", scopes=ANY_KEY, response="me.output.json",
    description="The hub and scope of the API key used: the connection test of Zapier and n8n.",
)
def me() -> Response:
    """The caller's hub and key scope."""
    principal = current_principal()
    with get_runtime().db.session() as session:
        hub = session.execute(select(Hub.name, Hub.timezone, Hub.currency)
                              .where(Hub.id == principal.hub_id)).one()
    return jsonify({
        "hub": {"id": principal.hub_id, "name": hub.name, "timezone": hub.timezone, "currency": hub.currency},
        "scope": principal.scope,
        "connection_id": principal.connection_id,
        "key_id": principal.key_id,
    })

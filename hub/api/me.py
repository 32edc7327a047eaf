"""GET /v1/me (the auth test of Zapier and n8n) and GET /healthz."""

from __future__ import annotations

import json

from flask import Blueprint, Response, jsonify
from sqlalchemy import select, text

from hub.auth import current_principal
from hub.endpoints import ANY_KEY, Endpoint
from hub.models import Hub
from hub.runtime import get_runtime

blueprint = Blueprint("me", __name__)


@blueprint.get("/healthz")
@Endpoint(
    operation_id="health", summary="Health check", tag="Health", scopes=(),
    description="Answers 200 while the service can reach its database.",
    errors=(503,), response_description="The service is healthy.",
    inline_response={
        "type": "object",
        "properties": {"status": {"type": "string", "const": "ok"}},
        "required": ["status"],
    },
)
def healthz() -> tuple[Response, int]:
    """Checks the database and, when configured, Redis; 503 when one is down."""
    runtime = get_runtime()
    checks: dict[str, str] = {}
    try:
        with runtime.db.session() as session:
            session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001
        checks["database"] = f"error: {type(exc).__name__}"
    if runtime.settings.redis_url:
        checks["redis"] = "ok" if runtime.queue.ping() else "error: no answer"
    if all(v == "ok" for v in checks.values()):
        return jsonify({"status": "ok", "checks": checks}), 200
    failing = ", ".join(k for k, v in checks.items() if v != "ok")
    problem = {"type": "https://pos-hub.dev/problems/unavailable", "title": "Service unavailable",
               "status": 503, "detail": f"Unhealthy: {failing}", "errors": [], "checks": checks}
    return Response(json.dumps(problem), status=503, mimetype="application/problem+json"), 503


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

"""GET /healthz (liveness), GET /readyz (readiness) and GET /metrics (Prometheus), for load balancers,
orchestrators and monitoring; none takes an API key."""

from __future__ import annotations

import json
from functools import cache

from flask import Blueprint, Response, jsonify

from hub.endpoints import Endpoint
from hub.errors import PROBLEM_TYPE_BASE, ProblemError
from hub.runtime import Runtime, get_runtime

blueprint = Blueprint("health", __name__)

_CHECKS_SCHEMA = {
    "type": "object",
    "description": "Each dependency checked: ok, or what failed.",
    "additionalProperties": {"type": "string"},
}


@blueprint.get("/healthz")
@Endpoint(
    operation_id="health", summary="Liveness", tag="Health", scopes=(),
    description="Answers 200 while the process serves requests; touches neither the database nor Redis, so "
                "an outage of those never gets a live process restarted. Load balancers that must route only "
                "to instances able to work use /readyz.",
    response_description="The process is alive.",
    inline_response={
        "type": "object",
        "properties": {"status": {"type": "string", "const": "ok"}},
        "required": ["status"],
    },
)
def healthz() -> tuple[Response, int]:
    """Alive: no I/O."""
    return jsonify({"status": "ok"}), 200


@cache
def _migration_heads(database_url: str) -> frozenset[str]:
    """The revisions the code's migrations end at."""
    from alembic.script import ScriptDirectory

    from hub.migrate import alembic_config

    return frozenset(ScriptDirectory.from_config(alembic_config(database_url)).get_heads())


def readiness(rt: Runtime) -> dict[str, str]:
    """Each check: the database answers, its schema is at the migrations' head, Redis answers (if set)."""
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import text

    checks: dict[str, str] = {}
    try:
        with rt.db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            checks["database"] = "ok"
            current = frozenset(MigrationContext.configure(connection).get_current_heads())
        expected = _migration_heads(rt.settings.database_url)
        checks["migrations"] = "ok" if current == expected else (
            f"error: at {', '.join(sorted(current)) or 'no revision'}, expected {', '.join(sorted(expected))}"
            " (run python -m hub init-db)")
    except Exception as exc:  # noqa: BLE001 - reported, never raised: the probe answers 503
        checks.setdefault("database", f"error: {type(exc).__name__}")
        checks.setdefault("migrations", "error: not checked, the database did not answer")
    if rt.settings.redis_url:
        checks["redis"] = "ok" if rt.queue.ping() else "error: no answer"
    return checks


@blueprint.get("/readyz")
@Endpoint(
    operation_id="ready", summary="Readiness", tag="Health", scopes=(),
    description="Answers 200 when this instance can do its work: the database answers, its schema is at the "
                "newest migration, and Redis answers when REDIS_URL is set. Otherwise 503, a problem whose "
                "`checks` name what is down. Point load balancer health checks here.",
    errors=(503,), response_description="Ready: every check is ok.",
    inline_response={
        "type": "object",
        "properties": {"status": {"type": "string", "const": "ok"}, "checks": _CHECKS_SCHEMA},
        "required": ["status", "checks"],
    },
)
def readyz() -> tuple[Response, int]:
    """Ready, or a 503 problem naming each failed check."""
    checks = readiness(get_runtime())
    if all(value == "ok" for value in checks.values()):
        return jsonify({"status": "ok", "checks": checks}), 200
    failing = ", ".join(name for name, value in checks.items() if value != "ok")
    problem = {"type": PROBLEM_TYPE_BASE + "unavailable", "title": "Service unavailable", "status": 503,
               "detail": f"Not ready: {failing} down.", "errors": [], "checks": checks}
    return Response(json.dumps(problem), status=503, mimetype="application/problem+json"), 503


@blueprint.get("/metrics")
@Endpoint(
    operation_id="metrics", summary="Prometheus metrics", tag="Health", scopes=(),
    description="The hub's metrics in the Prometheus text exposition format (text/plain): "
                "requests, events, purchases, deliveries, jobs, queues and per-connection polling. Needs no "
                "API key, so it is off unless HUB_METRICS=1 (a 404 otherwise); or serve it on a port of its "
                "own, kept off the public network, with HUB_METRICS_PORT.",
    errors=(404,), response_description="The metrics, as text.",
)
def metrics() -> Response:
    """The scrape, when enabled."""
    if not get_runtime().settings.metrics_enabled:
        raise ProblemError(404, "Metrics are not enabled on this address (HUB_METRICS=1 enables them).")
    from hub.observability.exposition import scrape

    return scrape()

"""POST /v1/actions/<name>, GET /v1/actions/<id> and POST /v1/actions/<id>/retry."""

from __future__ import annotations

from flask import Blueprint, Response
from sqlalchemy import select

from actions import action_named
from hub.auth import current_principal, require_scope
from hub.deliveries import redrive_dead, run_payload
from hub.errors import ProblemError, not_found, validation_error
from hub.idempotency import idempotent, json_response
from hub.models import ActionRun
from hub.requests_json import json_body, require_object
from hub.runtime import get_runtime
from hub.schemas import validate

blueprint = Blueprint("actions", __name__)


@blueprint.post("/v1/actions/<name>")
@require_scope("automation")
def run_action(name: str) -> Response:
    """Validate, write the change and its deliveries in one transaction, answer 202 with the run."""
    spec = action_named(name)
    if spec is None:
        raise ProblemError(404, f"There is no action {name!r}; see GET /v1/contracts for the actions.")
    body = require_object(json_body())
    errors = validate(spec.input_schema, body)
    if errors:
        raise validation_error(errors)
    hub_id = current_principal().hub_id
    with get_runtime().db.session() as session:
        def produce() -> tuple[int, dict]:
            return 202, run_payload(session, spec.run(session, hub_id, body))

        return idempotent(session, hub_id, produce)


def _run(session, hub_id: str, run_id: str) -> ActionRun:  # noqa: ANN001
    run = session.scalar(select(ActionRun).where(ActionRun.id == run_id, ActionRun.hub_id == hub_id))
    if run is None:
        raise not_found("action run")
    return run


@blueprint.get("/v1/actions/<run_id>")
@require_scope("automation")
def get_action_run(run_id: str) -> Response:
    """The run's progress and each delivery's status, attempts and last error."""
    hub_id = current_principal().hub_id
    with get_runtime().db.session() as session:
        return json_response(200, run_payload(session, _run(session, hub_id, run_id)))


@blueprint.post("/v1/actions/<run_id>/retry")
@require_scope("automation")
def retry_action_run(run_id: str) -> Response:
    """Send the run's dead deliveries again, with fresh retries (202)."""
    hub_id = current_principal().hub_id
    with get_runtime().db.session() as session:
        def produce() -> tuple[int, dict]:
            run = _run(session, hub_id, run_id)
            redrive_dead(session, run)
            return 202, run_payload(session, run)

        return idempotent(session, hub_id, produce)

"""POST /v1/actions/<name>, GET /v1/actions/<id> and POST /v1/actions/<id>/retry."""

from __future__ import annotations

import re

from flask import Blueprint, Response
from flask.blueprints import BlueprintSetupState
from sqlalchemy import select
from werkzeug.routing import BaseConverter

from actions import ACTIONS, action_named
from actions.base import ActionSpec
from hub.auth import current_principal
from hub.deliveries import redrive_dead, run_payload
from hub.endpoints import AUTOMATION, Endpoint, endpoint_per
from hub.errors import ProblemError, not_found, validation_error
from hub.hooks.targets import UnsafeTarget, check_target
from hub.idempotency import idempotent, json_response
from hub.models import ActionRun, Hub
from hub.requests_json import json_body, require_object
from hub.runtime import get_runtime
from hub.schemas import schema, validate

blueprint = Blueprint("actions", __name__)

_ACTION_NAMES = "|".join(re.escape(action.name) for action in ACTIONS)


class ActionNameConverter(BaseConverter):
    """A path segment naming an action: POST /v1/actions/<name> takes nothing else."""

    regex = f"(?:{_ACTION_NAMES})"


class RunIdConverter(BaseConverter):
    """A path segment that is no action's name, so that /v1/actions/update_menu offers only POST and
    /v1/actions/<id> only GET, as /openapi.json says (its concrete paths win over templated ones)."""

    regex = f"(?!(?:{_ACTION_NAMES})(?![^/]))[^/]+"


@blueprint.record_once
def _register_converters(state: BlueprintSetupState) -> None:
    state.app.url_map.converters.update(action_name=ActionNameConverter, run_id=RunIdConverter)


def _action_endpoint(spec: ActionSpec) -> Endpoint:
    """The contract of running one action, from its input and output schemas."""
    return Endpoint(
        operation_id=spec.name, summary=spec.title, tag="Actions", scopes=AUTOMATION,
        description=schema(spec.input_schema)["description"], status=spec.status,
        request=spec.input_schema, response=spec.output_schema, idempotent=True,
        response_description=spec.response_description,
    )


_RUN_ID = (("id", "The action run's id, e.g. run_3e4f5a6b7c8d9e0f."),)


@blueprint.post("/v1/actions/<action_name:name>")
@endpoint_per("name", {spec.name: _action_endpoint(spec) for spec in ACTIONS})
def run_action(name: str) -> Response:
    """Validate, write the change and its deliveries in one transaction, answer 202 with the run."""
    spec = action_named(name)
    if spec is None:
        raise ProblemError(404, f"There is no action {name!r}; see GET /v1/contracts for the actions.")
    body = require_object(json_body())
    hub_id = current_principal().hub_id
    rt = get_runtime()
    with rt.db.session() as session:
        if spec.prepare is not None:
            body = spec.prepare(session.get(Hub, hub_id), body)
        errors = validate(spec.input_schema, body)
        if errors:
            raise validation_error(errors)
        if "callback_url" in body:
            try:
                check_target(body["callback_url"], rt.settings.hook_allowed_hosts)
            except UnsafeTarget as exc:
                raise validation_error([{"path": "/callback_url",
                                         "message": f"Callback URL refused: {exc}."}]) from exc

        def produce() -> tuple[int, dict]:
            result = spec.run(session, hub_id, body)
            if spec.respond is not None:
                return spec.respond(session, result)
            return 202, run_payload(session, result)

        return idempotent(session, hub_id, produce)


def _run(session, hub_id: str, run_id: str) -> ActionRun:  # noqa: ANN001
    run = session.scalar(select(ActionRun).where(ActionRun.id == run_id, ActionRun.hub_id == hub_id))
    if run is None:
        raise not_found("action run")
    return run


@blueprint.get("/v1/actions/<run_id:id>")
@Endpoint(
    operation_id="get_action_run", summary="Get an action run", tag="Actions", scopes=AUTOMATION,
    description="The progress of an action run and of each of its deliveries.",
    response="common/action_run.json", path_params=_RUN_ID, errors=(404,),
)
def get_action_run(id: str) -> Response:
    """The run's progress and each delivery's status, attempts and last error."""
    hub_id = current_principal().hub_id
    with get_runtime().db.session() as session:
        return json_response(200, run_payload(session, _run(session, hub_id, id)))


@blueprint.post("/v1/actions/<id>/retry")
@Endpoint(
    operation_id="retry_action_run", summary="Retry an action run", tag="Actions", scopes=AUTOMATION,
    description="Sends the run's dead deliveries again, with fresh retries.", status=202,
    response="common/action_run.json", path_params=_RUN_ID, idempotent=True, errors=(404,),
    response_description="The action run, retrying.",
)
def retry_action_run(id: str) -> Response:
    """Send the run's dead deliveries again, with fresh retries (202)."""
    hub_id = current_principal().hub_id
    with get_runtime().db.session() as session:
        def produce() -> tuple[int, dict]:
            run = _run(session, hub_id, id)
            redrive_dead(session, run)
            return 202, run_payload(session, run)

        return idempotent(session, hub_id, produce)

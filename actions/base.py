"""What an action is: its name, words for no-code users, its schemas, sample and the function that runs it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from hub.models import ActionRun, Hub


@dataclass(frozen=True)
class ActionSpec:
    """One action (e.g. update_menu): POST /v1/actions/<name> validates against input_schema and calls run."""

    name: str
    title: str
    description: str
    input_schema: str  # path under schemas/, e.g. "actions/update_menu.input.json"
    output_schema: str
    # run(session, hub_id, body already valid against input_schema) -> the new ActionRun, with its
    # catalog change and deliveries added to session (or, with `respond`, the action's own result);
    # raises hub.errors.ProblemError (422) on bad input.
    run: Callable[[Session, str, dict[str, Any]], ActionRun | Any]
    # prepare(hub, body as received) -> the body to validate: what the tools send made explicit (a price
    # without currency in the hub's currency, a time without offset in the hub's zone, "" as clear).
    prepare: Callable[[Hub, Any], Any] | None = None
    # respond(session, what run returned) -> (HTTP status, body) for an action that answers its own object
    # (an order, a stock level); None: run returned an ActionRun, answered 202 as the action run.
    respond: Callable[[Session, Any], tuple[int, Any]] | None = None
    status: int = 202  # the success status /openapi.json documents
    response_description: str = "The action run, started."

    def sample(self) -> Any:
        """The output schema's first example."""
        from hub.schemas import example

        return example(self.output_schema)

"""Admin endpoints for quarantined vendor records: list, show, replay after a fix, dismiss."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify
from sqlalchemy import select

from hub.api.triggers import LIMIT_PARAM, check_known_params, limit_param, text_filters
from hub.auth import current_principal
from hub.endpoints import ADMIN, Endpoint
from hub.errors import ProblemError, not_found, validation_error
from hub.models import QuarantinedRecord
from hub.quarantine import STATUSES, QuarantineError, dismiss, own_record, record_view, replay
from hub.runtime import get_runtime
from hub.schemas import schema

blueprint = Blueprint("quarantine", __name__)

TAG = "Admin (support staff)"
_RECORD = "admin/quarantined_record.json"
_RECORD_ID = (("record_id", "The quarantined record's id, e.g. qrn_3c4d5e6f7a8b9c0d."),)


def _record_or_404(session, record_id: str) -> QuarantinedRecord:  # noqa: ANN001
    row = own_record(session, current_principal().hub_id, record_id)
    if row is None:
        raise not_found("quarantined record")
    return row


def _conflict(exc: QuarantineError) -> ProblemError:
    return ProblemError(409, str(exc), errors=[{"path": "", "message": str(exc)}])


@blueprint.get("/v1/admin/quarantine")
@Endpoint(
    operation_id="admin_list_quarantine", summary="List quarantined records", tag=TAG, scopes=ADMIN,
    description=schema(_RECORD)["description"]
    + " Most recently seen first; filter by connection and status.",
    response=_RECORD, response_is_list=True,
    params=(
        ("connection_id", f"{_RECORD}#/properties/connection_id", "Only records of this POS connection."),
        ("status", f"{_RECORD}#/properties/status", "Only records in this status, e.g. open."),
        LIMIT_PARAM,
    ),
    errors=(422,),
)
def list_quarantine() -> Response:
    """The hub's quarantined records, most recently seen first, with raw data and reason."""
    check_known_params(("connection_id", "status", "limit"))
    filters = text_filters(("connection_id", "status"))
    if filters.get("status", STATUSES[0]) not in STATUSES:
        message = f"'status' must be one of: {', '.join(STATUSES)}."
        raise validation_error([{"path": "/status", "message": message}])
    limit = limit_param()
    query = select(QuarantinedRecord).where(QuarantinedRecord.hub_id == current_principal().hub_id)
    if "connection_id" in filters:
        query = query.where(QuarantinedRecord.connection_id == filters["connection_id"])
    if "status" in filters:
        query = query.where(QuarantinedRecord.status == filters["status"])
    with get_runtime().db.session() as session:
        rows = session.scalars(query.order_by(QuarantinedRecord.last_seen_at.desc(), QuarantinedRecord.id)
                               .limit(limit))
        return jsonify([record_view(row) for row in rows])


@blueprint.get("/v1/admin/quarantine/<record_id>")
@Endpoint(
    operation_id="admin_get_quarantined", summary="Get a quarantined record", tag=TAG, scopes=ADMIN,
    description="One quarantined record with its raw data and the reason it could not be read.",
    response=_RECORD, path_params=_RECORD_ID, errors=(404,),
)
def get_quarantined(record_id: str) -> Response:
    """One quarantined record of this hub."""
    with get_runtime().db.session() as session:
        return jsonify(record_view(_record_or_404(session, record_id)))


@blueprint.post("/v1/admin/quarantine/<record_id>/replay")
@Endpoint(
    operation_id="admin_replay_quarantined", summary="Replay a quarantined record", tag=TAG, scopes=ADMIN,
    description="Reads the raw record again with the connection's connector (after a fix of the connector or "
    "the data). " + schema("admin/quarantine_replay.output.json")["description"] + " 409 when it was already "
    "replayed or its connector cannot replay records.",
    response="admin/quarantine_replay.output.json", path_params=_RECORD_ID, errors=(404, 409),
    response_description="What the replay did.",
)
def replay_quarantined(record_id: str) -> Response:
    """Replay one record: the purchase is recorded once on success; on failure it stays open."""
    rt = get_runtime()
    try:
        outcome = replay(rt.db, rt.vault, current_principal().hub_id, record_id)
    except QuarantineError as exc:
        raise _conflict(exc) from exc
    if outcome is None:
        raise not_found("quarantined record")
    return jsonify({"outcome": outcome.outcome, "detail": outcome.detail, "record": outcome.record})


@blueprint.post("/v1/admin/quarantine/<record_id>/dismiss")
@Endpoint(
    operation_id="admin_dismiss_quarantined", summary="Dismiss a quarantined record", tag=TAG, scopes=ADMIN,
    description="Sets an open record aside for good (no purchase will come of it); dismissing a dismissed "
    "one changes nothing. 409 when it was already replayed.",
    response=_RECORD, path_params=_RECORD_ID, errors=(404, 409),
    response_description="The record, dismissed.",
)
def dismiss_quarantined(record_id: str) -> Response:
    """Dismiss one open record."""
    try:
        with get_runtime().db.session() as session:
            row = dismiss(session, current_principal().hub_id, record_id)
            if row is None:
                raise not_found("quarantined record")
            return jsonify(record_view(row))
    except QuarantineError as exc:
        raise _conflict(exc) from exc

"""Admin endpoints for support staff: connections (never showing credentials) and keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, Response, jsonify, request
from sqlalchemy import select

from hub.action_callbacks.kind import callback_secret
from hub.admin import (
    AdminError,
    add_connection,
    check_connection,
    find_connection,
    start_poll,
    update_connection,
    update_hub,
)
from hub.auth import current_principal
from hub.connectors import CONNECTORS, build_connector
from hub.connectors.base import ConnectorError
from hub.endpoints import ADMIN, Endpoint
from hub.errors import ProblemError, not_found
from hub.keys import (
    IssuedKey,
    KeyIssueError,
    KeyNetworkError,
    KeyNotFoundError,
    hub_keys,
    issue_key,
    restrict_key,
    revoke_key,
    rotate_key,
)
from hub.menu_import import import_menu
from hub.models import ApiKey, Connection, Hub
from hub.refs import iso
from hub.requests_json import validated_body
from hub.runtime import get_runtime
from hub.schemas import schema
from hub.simulation import SimulationError, simulate

blueprint = Blueprint("admin", __name__)

TAG = "Admin (support staff)"
_CONNECTION_ID = (("connection_id", "The hub's id of the POS connection, e.g. con_8f3a2b1c4d5e6f70."),)


def connection_view(con: Connection) -> dict[str, Any]:
    """A connection as support staff see it: settings and health, never credentials."""
    return {
        "id": con.id,
        "name": con.name,
        "type": con.type,
        "config": con.config,
        "has_credentials": bool(con.credentials_encrypted),
        "status": con.status,
        "last_contact_at": con.last_contact_at.isoformat() if con.last_contact_at else None,
        "last_error": con.last_error,
        "poll_interval_seconds": con.poll_interval_seconds,
        "health": con.health,
        "failing_since": iso(con.failing_since),
        "consecutive_failures": con.consecutive_failures,
        "last_fault": con.last_fault,
        "next_poll_at": iso(con.next_poll_at),
        "created_at": con.created_at.isoformat(),
    }


def _own_connection(session, connection_id: str) -> Connection:  # noqa: ANN001
    con = find_connection(session, current_principal().hub_id, connection_id)
    if con is None:
        raise not_found("connection")
    return con


def hub_view(session, hub: Hub) -> dict[str, Any]:  # noqa: ANN001
    """The hub as support staff see it (admin/hub.json)."""
    return {"id": hub.id, "name": hub.name, "timezone": hub.timezone, "currency": hub.currency,
            "callback_signing_secret": callback_secret(session, get_runtime().vault, hub.id),
            "created_at": iso(hub.created_at)}


@blueprint.get("/v1/admin/hub")
@Endpoint(
    operation_id="admin_get_hub", summary="Get the hub's settings", tag=TAG, scopes=ADMIN,
    description=schema("admin/hub.json")["description"], response="admin/hub.json",
)
def get_hub_settings() -> Response:
    """The hub's name, time zone, currency and callback signing secret."""
    with get_runtime().db.session() as s:
        return jsonify(hub_view(s, s.get(Hub, current_principal().hub_id)))


@blueprint.patch("/v1/admin/hub")
@Endpoint(
    operation_id="admin_update_hub", summary="Change the hub's settings", tag=TAG, scopes=ADMIN,
    description=schema("admin/hub.update.input.json")["description"], request="admin/hub.update.input.json",
    response="admin/hub.json", response_description="The hub, changed.",
)
def change_hub_settings() -> Response:
    """Change the hub's name, time zone or currency; 422 for an unknown time zone."""
    body = validated_body("admin/hub.update.input.json")
    try:
        with get_runtime().db.session() as s:
            hub = update_hub(s, current_principal().hub_id, body.get("name"), body.get("timezone"),
                             body.get("currency"))
            return jsonify(hub_view(s, hub))
    except AdminError as exc:
        path = "/timezone" if "time zone" in str(exc) else "/currency" if "currency" in str(exc) else ""
        raise ProblemError(422, str(exc), errors=[{"path": path, "message": str(exc)}]) from exc


@blueprint.get("/v1/admin/connector-types")
@Endpoint(
    operation_id="admin_list_connector_types", summary="List POS connector types", tag=TAG, scopes=ADMIN,
    description=schema("admin/connector_type.json")["description"], response="admin/connector_type.json",
    response_is_list=True,
)
def connector_types() -> Response:
    """Every POS type with its settings and credentials schemas (the onboarding form)."""
    return jsonify([cls.describe() for cls in CONNECTORS])


@blueprint.get("/v1/admin/connections")
@Endpoint(
    operation_id="admin_list_connections", summary="List connections with their health", tag=TAG,
    scopes=ADMIN, description="Every connection of the hub, sorted by name, with its settings and health "
    "(status, last contact, last error); never its credentials.",
    response="admin/connection.json", response_is_list=True,
)
def list_connections() -> Response:
    """Every connection of this hub with its health (status, last contact, last error)."""
    with get_runtime().db.session() as s:
        cons = s.scalars(select(Connection).where(Connection.hub_id == current_principal().hub_id)
                         .order_by(Connection.name)).all()
        return jsonify([connection_view(c) for c in cons])


@blueprint.post("/v1/admin/connections")
@Endpoint(
    operation_id="admin_create_connection", summary="Connect a POS", tag=TAG, scopes=ADMIN,
    description=schema("admin/connection.input.json")["description"], status=201,
    request="admin/connection.input.json", response="admin/connection.json",
    response_description="The connection, added.",
)
def create_connection() -> tuple[Response, int]:
    """Connect a POS system to this hub."""
    body = validated_body("admin/connection.input.json")
    rt = get_runtime()
    try:
        with rt.db.session() as s:
            con = add_connection(s, rt.vault, current_principal().hub_id, body["type"], body["name"],
                                 body.get("config", {}), body.get("credentials", {}))
            return jsonify(connection_view(con)), 201
    except AdminError as exc:
        raise ProblemError(422, str(exc), errors=[{"path": "", "message": str(exc)}]) from exc


@blueprint.get("/v1/admin/connections/<connection_id>")
@Endpoint(
    operation_id="admin_get_connection", summary="Get a connection", tag=TAG, scopes=ADMIN,
    description="One connection of the hub with its settings and health; never its credentials.",
    response="admin/connection.json", path_params=_CONNECTION_ID, errors=(404,),
)
def get_connection(connection_id: str) -> Response:
    """One connection of this hub."""
    with get_runtime().db.session() as s:
        return jsonify(connection_view(_own_connection(s, connection_id)))


@blueprint.patch("/v1/admin/connections/<connection_id>")
@Endpoint(
    operation_id="admin_update_connection", summary="Change a connection", tag=TAG, scopes=ADMIN,
    description=schema("admin/connection.update.input.json")["description"],
    request="admin/connection.update.input.json", response="admin/connection.json",
    path_params=_CONNECTION_ID, errors=(404,), response_description="The connection, changed.",
)
def change_connection(connection_id: str) -> Response:
    """Rename a connection or replace its settings or credentials (a fix is polled at once)."""
    body = validated_body("admin/connection.update.input.json")
    rt = get_runtime()
    try:
        with rt.db.session() as s:
            con = update_connection(s, rt.vault, _own_connection(s, connection_id), body.get("name"),
                                    body.get("config"), body.get("credentials"))
            return jsonify(connection_view(con))
    except AdminError as exc:
        raise ProblemError(422, str(exc), errors=[{"path": "", "message": str(exc)}]) from exc


@blueprint.post("/v1/admin/connections/<connection_id>/test")
@Endpoint(
    operation_id="admin_test_connection", summary="Test a connection", tag=TAG, scopes=ADMIN,
    description="Calls the POS with the stored settings and credentials and says whether it answered (a POS "
    "that does not answer is still a 200, with ok false).",
    response="admin/connection_test.output.json", path_params=_CONNECTION_ID, errors=(404,),
    response_description="Whether the POS answered.",
)
def test_connection(connection_id: str) -> Response:
    """Call the POS with the stored credentials and say whether it answered."""
    rt = get_runtime()
    with rt.db.session() as s:
        connector = build_connector(_own_connection(s, connection_id), rt.vault)
    return jsonify(check_connection(connector).as_json())


@blueprint.post("/v1/admin/connections/<connection_id>/poll")
@Endpoint(
    operation_id="admin_poll_connection", summary="Poll a connection now", tag=TAG, scopes=ADMIN,
    description="Polls the connection now instead of at its next interval, e.g. after fixing its "
    "credentials.",
    status=202, response="admin/poll.output.json", path_params=_CONNECTION_ID, errors=(404,),
    response_description="The poll, started or already running.",
)
def poll_connection_now(connection_id: str) -> tuple[Response, int]:
    """Poll a connection now instead of at its next interval (e.g. after fixing its credentials)."""
    rt = get_runtime()
    with rt.db.session() as s:
        _own_connection(s, connection_id)
    started, detail = start_poll(rt, connection_id)
    return jsonify({"connection_id": connection_id, "poll_started": started, "detail": detail}), 202


@blueprint.post("/v1/admin/connections/<connection_id>/simulate")
@Endpoint(
    operation_id="admin_simulate", summary="Simulate at a sandbox", tag=TAG, scopes=ADMIN,
    description=schema("admin/simulate.input.json")["description"], request="admin/simulate.input.json",
    response="admin/simulate.output.json", path_params=_CONNECTION_ID, errors=(404,),
    response_description="What the simulation did.",
)
def simulate_at_sandbox(connection_id: str) -> Response:
    """Make a sandbox connection sell, restock, drop a location or have an outage."""
    body = validated_body("admin/simulate.input.json")
    with get_runtime().db.session() as s:
        con = _own_connection(s, connection_id)
        try:
            result = simulate(s, con, body["action"],
                              location_external_id=body.get("location_external_id"),
                              sku=body.get("sku"), quantity=body.get("quantity", 1))
        except SimulationError as exc:
            raise ProblemError(422, str(exc), errors=[{"path": exc.path, "message": str(exc)}]) from exc
    return jsonify(result)


@blueprint.post("/v1/admin/connections/<connection_id>/import-menu")
@Endpoint(
    operation_id="admin_import_menu", summary="Import the POS's menu", tag=TAG, scopes=ADMIN,
    description="Imports the POS's own menu into the catalog, for accounts where that POS is the master of "
    "product data; the POS is never pushed its own menu back. 422 when the POS cannot export its menu or "
    "refuses, 503 when it cannot be reached for now.",
    request="admin/import_menu.input.json", request_optional=True, response="admin/import_menu.output.json",
    path_params=_CONNECTION_ID, errors=(404, 503), response_description="What was imported.",
)
def import_menu_from_pos(connection_id: str) -> Response:
    """Import the POS's own menu into the catalog (the POS is the master of product data)."""
    # The body is optional: an empty one means the defaults.
    body = validated_body("admin/import_menu.input.json") if request.get_data(cache=True).strip() else {}
    push = body.get("push_to_other_connections", False)
    rt = get_runtime()
    try:
        result = import_menu(rt, current_principal().hub_id, connection_id, push)
    except LookupError as exc:
        raise not_found("connection") from exc
    except ConnectorError as exc:
        raise ProblemError(422 if exc.kind.value == "permanent" else 503, f"The POS refused: {exc.message}",
                           errors=[{"path": "", "message": exc.message}]) from exc
    return jsonify(result)


_KEY_ID = (("key_id", "The key's id, e.g. key_5a6b7c8d9e0f1a2b."),)


def key_view(k: ApiKey) -> dict[str, Any]:
    """A key as admin/key.json shows it: prefix, scope, restrictions and last use; never its secret."""
    return {"id": k.id, "prefix": k.prefix, "scope": k.scope, "name": k.name,
            "connection_id": k.connection_id, "created_at": k.created_at.isoformat(),
            "revoked_at": iso(k.revoked_at), "allowed_networks": k.allowed_networks,
            "expires_at": iso(k.expires_at), "last_used_at": iso(k.last_used_at),
            "last_used_address": k.last_used_address}


def _when(body: dict[str, Any], field: str) -> datetime | None:
    """A date-time field of a validated body (null: none); 422 naming the field when unreadable."""
    value = body.get(field)
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError as exc:
        message = f"{field}: {value!r} is not a date-time, e.g. 2027-03-01T00:00:00+00:00"
        raise ProblemError(422, message, errors=[{"path": f"/{field}", "message": message}]) from exc


def _key_problem(exc: KeyIssueError) -> ProblemError:
    path = f"/allowed_networks/{exc.index}" if isinstance(exc, KeyNetworkError) else "/connection_id"
    return ProblemError(422, str(exc), errors=[{"path": path, "message": str(exc)}])


def _created_view(issued: IssuedKey) -> dict[str, Any]:
    rec = issued.record
    return {"id": rec.id, "key": issued.key, "scope": rec.scope, "connection_id": rec.connection_id,
            "allowed_networks": rec.allowed_networks, "expires_at": iso(rec.expires_at)}


@blueprint.get("/v1/admin/keys")
@Endpoint(
    operation_id="admin_list_keys", summary="List API keys", tag=TAG, scopes=ADMIN,
    description="The hub's API keys, oldest first, by prefix only: secrets are never shown again. Each "
    "shows its allowed networks, expiry, and when and from where it was last used.",
    response="admin/key.json", response_is_list=True,
)
def list_keys() -> Response:
    """The hub's keys (prefixes only; secrets are never shown again)."""
    with get_runtime().db.session() as s:
        return jsonify([key_view(k) for k in hub_keys(s, current_principal().hub_id)])


@blueprint.post("/v1/admin/keys")
@Endpoint(
    operation_id="admin_create_key", summary="Issue an API key", tag=TAG, scopes=ADMIN,
    description=schema("admin/key.input.json")["description"] + " The answer is the only time the key's "
    "secret is shown.", status=201, request="admin/key.input.json", response="admin/key_created.json",
    response_description="The key, with its secret (shown once).",
)
def create_key() -> tuple[Response, int]:
    """Issue a key; the answer is the only time its secret is shown."""
    body = validated_body("admin/key.input.json")
    expires_at = _when(body, "expires_at")
    try:
        with get_runtime().db.session() as s:
            issued = issue_key(s, current_principal().hub_id, body["scope"],
                               body.get("connection_id"), body.get("name"),
                               allowed_networks=body.get("allowed_networks"), expires_at=expires_at)
            return jsonify(_created_view(issued)), 201
    except KeyIssueError as exc:
        # The schema checks scope; what is left is the networks, and whether the connection fits.
        raise _key_problem(exc) from exc


@blueprint.patch("/v1/admin/keys/<key_id>")
@Endpoint(
    operation_id="admin_restrict_key", summary="Restrict an API key", tag=TAG, scopes=ADMIN,
    description=schema("admin/key.update.input.json")["description"], request="admin/key.update.input.json",
    response="admin/key.json", path_params=_KEY_ID, errors=(404,), response_description="The key, changed.",
)
def change_key(key_id: str) -> Response:
    """Set an active key's allowed networks and expiry (a field left out keeps its value)."""
    body = validated_body("admin/key.update.input.json")
    expires_at = _when(body, "expires_at")
    hub_id = current_principal().hub_id
    try:
        with get_runtime().db.session() as s:
            current = next((k for k in hub_keys(s, hub_id) if k.id == key_id and k.revoked_at is None), None)
            if current is None:
                raise not_found("active key")
            key = restrict_key(
                s, key_id, hub_id,
                body["allowed_networks"] if "allowed_networks" in body else current.allowed_networks,
                expires_at if "expires_at" in body else current.expires_at)
            return jsonify(key_view(key))
    except KeyNotFoundError as exc:
        raise not_found("active key") from exc
    except KeyIssueError as exc:
        raise _key_problem(exc) from exc


@blueprint.post("/v1/admin/keys/<key_id>/rotate")
@Endpoint(
    operation_id="admin_rotate_key", summary="Rotate an API key", tag=TAG, scopes=ADMIN,
    description=schema("admin/key.rotate.input.json")["description"] + " The answer is the only time the "
    "new key's secret is shown.", status=201, request="admin/key.rotate.input.json",
    response="admin/key_created.json", path_params=_KEY_ID, errors=(404,),
    response_description="The new key, with its secret (shown once), and when the old one stops working.",
)
def rotate(key_id: str) -> tuple[Response, int]:
    """Issue a replacement key; the old one keeps working for the overlap asked for."""
    body = validated_body("admin/key.rotate.input.json")
    try:
        with get_runtime().db.session() as s:
            issued = rotate_key(s, key_id, current_principal().hub_id, body["overlap_seconds"])
            old = s.get(ApiKey, key_id)
            view = _created_view(issued)
            view["replaces"] = {"id": key_id, "expires_at": iso(old.expires_at)}
            return jsonify(view), 201
    except KeyNotFoundError as exc:
        raise not_found("active key") from exc


@blueprint.delete("/v1/admin/keys/<key_id>")
@Endpoint(
    operation_id="admin_revoke_key", summary="Revoke an API key", tag=TAG, scopes=ADMIN,
    description="Revokes an active key of the hub; it stops working at once.", status=204,
    path_params=(("key_id", "The key's id, e.g. key_5a6b7c8d9e0f1a2b."),), errors=(404,),
    response_description="Revoked.",
)
def delete_key(key_id: str) -> tuple[str, int]:
    """Revoke a key of this hub."""
    with get_runtime().db.session() as s:
        if not revoke_key(s, key_id, current_principal().hub_id):
            raise not_found("active key")
    return "", 204

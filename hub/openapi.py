"""The OpenAPI 3.1 document of the public API, built from the schema files and the route table below.

Each file under schemas/ becomes one entry of ``components.schemas`` named after its path
("triggers/new_purchase.output.json" -> "triggers.new_purchase.output"), with its ``$ref``s
rewritten to point inside the document. ``ROUTES`` lists every endpoint of the app: the public API of
the design (sections 4 to 6) and the support staff's admin API; it is the one place an endpoint's
contract is declared for the document.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urldefrag, urljoin

from hub import schemas
from hub.request_guard import (
    MAX_HEADER_BYTES,
    MAX_HEADERS,
    MAX_URL_BYTES,
    SERVER_MAX_HEADER_BYTES,
    SERVER_MAX_HEADERS,
    SERVER_MAX_REQUEST_LINE,
)

TRIGGER_NAMES: tuple[str, ...] = ("new_purchase", "low_stock", "pos_offline", "pos_online")

PROBLEM_SCHEMA = "common/problem.json"
PAGING_SCHEMA = "common/trigger_paging.json"

_ERROR_TEXT = {
    400: "The request is malformed (not JSON, or a parameter cannot be read).",
    401: "No API key, or the key is unknown or revoked.",
    403: "The API key's scope does not allow this endpoint.",
    404: "No such object in this hub.",
    409: "The Idempotency-Key was already used with a different request body, or (POST /v1/hooks) the hub "
         "has reached its limit of hook subscriptions: delete one with DELETE /v1/hooks/{id}.",
    413: "The request body is too large.",
    414: f"The URL is longer than {MAX_URL_BYTES} bytes. Past a request line of {SERVER_MAX_REQUEST_LINE} "
         "bytes the web server itself refuses it, with a text/html page.",
    415: "The request body is not declared as JSON: send it with Content-Type: application/json "
         "(application/*+json and charset=utf-8 are fine; a body without Content-Type is read as JSON).",
    422: "The request does not match its contract; every rejected field is listed in errors.",
    429: "Too many requests; retry after the number of seconds in the Retry-After header.",
    431: f"More than {MAX_HEADERS} header fields, or one longer than {MAX_HEADER_BYTES} bytes. Past "
         f"{SERVER_MAX_HEADERS} fields or {SERVER_MAX_HEADER_BYTES} bytes the web server itself refuses the "
         "request, with a text/html page.",
    503: "The service cannot reach its database or queue.",
}
_AUTHED_ERRORS = (401, 403, 429)
_BODY_ERRORS = (400, 413, 415, 422)
# Any request can be too large in its URL or headers (hub/request_guard.py).
_SIZE_ERRORS = (414, 431)


@dataclass(frozen=True)
class Route:
    """One public endpoint: how it is called and which schema files describe it."""

    method: str
    path: str
    operation_id: str
    summary: str
    description: str
    tag: str
    scopes: tuple[str, ...]  # API key scopes allowed; empty means no API key (public or signed)
    status: int = 200
    response: str | None = None  # schema file of the success body
    response_is_list: bool = False
    request: str | None = None  # schema file of the request body
    request_optional: bool = False  # the body may be left out
    query: tuple[str, ...] = ()  # schema files whose properties are query parameters
    path_params: tuple[tuple[str, str], ...] = ()  # (name, description)
    # Single query parameters shaped by one property of a schema file:
    # (name, "file.json#/properties/<name>", description of what the parameter does here).
    params: tuple[tuple[str, str, str], ...] = ()
    lookup: bool = False  # takes the q search parameter
    idempotent: bool = False  # accepts an Idempotency-Key header
    etag: bool = False  # answers 304 to If-None-Match
    errors: tuple[int, ...] = ()
    response_description: str = "Success."
    # Bodies that are no hub contract (a health probe, a vendor's own webhook, a schema document).
    inline_request: dict[str, Any] | None = None
    inline_response: dict[str, Any] | None = None

    def schema_paths(self) -> set[str]:
        """The schema files this route names directly."""
        named = {self.response, self.request, *self.query, *(ref.split("#")[0] for _, ref, _ in self.params)}
        if self.errors or self.scopes:
            named.add(PROBLEM_SCHEMA)
        return {path for path in named if path}


def _trigger_routes() -> list[Route]:
    routes = []
    for name in TRIGGER_NAMES:
        output = f"triggers/{name}.output.json"
        doc = schemas.schema(output)
        routes.append(
            Route(
                "GET",
                f"/v1/triggers/{name}",
                f"poll_{name}",
                f"Poll the {doc['title']} trigger",
                doc["description"]
                + " Returns a list of events, newest first, each with a unique and stable id."
                " Use since_id to walk forward from a cursor (each page holds the oldest events after it)"
                " and before_id to page back.",
                "Triggers",
                ("automation", "admin"),
                response=output,
                response_is_list=True,
                query=(PAGING_SCHEMA, f"triggers/{name}.filters.json"),
                errors=(*_AUTHED_ERRORS, 400, 422),
                response_description="Events, newest first.",
            )
        )
    return routes


_AUTOMATION = ("automation", "admin")
_POS = ("pos",)
_ADMIN = ("admin",)
_ADMIN_TAG = "Admin (support staff)"
_CONNECTION_ID = (("connection_id", "The hub's id of the POS connection, e.g. con_8f3a2b1c4d5e6f70."),)
_LIMIT = ("limit", f"{PAGING_SCHEMA}#/properties/limit", "How many entries to return at most (1 to 500; "
          "default 100).")
_HOOK_ID = (("id", "The hook subscription's id, e.g. hook_2c3d4e5f6a7b8c9d."),)
_RUN_ID = (("id", "The action run's id, e.g. run_3e4f5a6b7c8d9e0f."),)

ROUTES: list[Route] = [
    Route(
        "GET", "/healthz", "health", "Health check",
        "Answers 200 while the service can reach its database.", "Health", (),
        errors=(503,), response_description="The service is healthy.",
        inline_response={
            "type": "object",
            "properties": {"status": {"type": "string", "const": "ok"}},
            "required": ["status"],
        },
    ),
    Route(
        "GET", "/v1/me", "me", "Who am I",
        "The hub and scope of the API key used: the connection test of Zapier and n8n.", "Account",
        ("automation", "pos", "admin"), response="me.output.json", errors=(401, 429),
    ),
    Route(
        "GET", "/v1/contracts", "list_contracts", "List trigger and action contracts",
        "Every trigger and action with links to its JSON Schemas and a sample.", "Contracts",
        ("automation", "pos", "admin"), response="contracts.output.json", errors=(401, 429),
    ),
    Route(
        "GET", "/openapi.json", "openapi", "This OpenAPI document",
        "The OpenAPI 3.1 description of the API, built from the JSON Schema files.", "Contracts", (),
        response_description="The OpenAPI document.", inline_response={"type": "object"},
    ),
    Route(
        "GET", "/schemas/{path}", "get_schema", "One JSON Schema file",
        "Serves a schema file by its path, e.g. /schemas/triggers/new_purchase.output.json.", "Contracts", (),
        path_params=(("path", "The schema file's path, e.g. triggers/new_purchase.output.json."),),
        errors=(404,), response_description="The JSON Schema document.", inline_response={"type": "object"},
    ),
    *_trigger_routes(),
    Route(
        "POST", "/v1/hooks", "subscribe_hook", "Subscribe to a trigger (REST hook)",
        "Each new event of the trigger is POSTed to target_url, signed per Standard Webhooks. The answer "
        "carries the signing secret, shown only this once.", "Hooks", _AUTOMATION, status=201,
        request="hooks/subscription.input.json", response="hooks/subscription.output.json", idempotent=True,
        errors=(*_AUTHED_ERRORS, *_BODY_ERRORS, 409),
        response_description="The subscription, with its secret.",
    ),
    Route(
        "GET", "/v1/hooks", "list_hooks", "List hook subscriptions",
        "The hub's REST hook subscriptions, newest first (without their secrets).", "Hooks", _AUTOMATION,
        response="hooks/subscription.output.json", response_is_list=True, params=(_LIMIT,),
        errors=(*_AUTHED_ERRORS, 422),
    ),
    Route(
        "GET", "/v1/hooks/{id}", "get_hook", "Get a hook subscription",
        "One REST hook subscription (without its secret).", "Hooks", _AUTOMATION,
        response="hooks/subscription.output.json", path_params=_HOOK_ID, errors=(*_AUTHED_ERRORS, 404),
    ),
    Route(
        "DELETE", "/v1/hooks/{id}", "unsubscribe_hook", "Unsubscribe a hook",
        "Deletes the subscription; no more events are sent to it.", "Hooks", _AUTOMATION, status=204,
        path_params=_HOOK_ID, errors=(*_AUTHED_ERRORS, 404), response_description="Deleted.",
    ),
    Route(
        "GET", "/v1/hooks/{id}/deliveries", "list_hook_deliveries", "List a hook's deliveries",
        "The subscription's deliveries, newest first, including dead ones that can be replayed.", "Hooks",
        _AUTOMATION, response="hooks/delivery.output.json", response_is_list=True, path_params=_HOOK_ID,
        params=(
            ("status", "hooks/delivery.output.json#/properties/status",
             "Only deliveries in this status, e.g. dead for the ones given up that can be replayed."),
            _LIMIT,
        ),
        errors=(*_AUTHED_ERRORS, 404, 422),
    ),
    Route(
        "POST", "/v1/hooks/{id}/deliveries/{delivery_id}/replay", "replay_hook_delivery",
        "Replay a hook delivery", "Sends the delivery's event again, with fresh retries.", "Hooks",
        _AUTOMATION, status=202, response="hooks/delivery.output.json", idempotent=True,
        path_params=(*_HOOK_ID, ("delivery_id", "The delivery's id, e.g. hdl_4e5f6a7b8c9d0e1f.")),
        errors=(*_AUTHED_ERRORS, 404, 409), response_description="The delivery, pending again.",
    ),
    Route(
        "POST", "/v1/actions/update_menu", "update_menu", "Update menu",
        schemas.schema("actions/update_menu.input.json")["description"], "Actions", _AUTOMATION, status=202,
        request="actions/update_menu.input.json", response="actions/update_menu.output.json", idempotent=True,
        errors=(*_AUTHED_ERRORS, *_BODY_ERRORS, 409), response_description="The action run, started.",
    ),
    Route(
        "POST", "/v1/actions/publish_coupon", "publish_coupon", "Publish coupon",
        schemas.schema("actions/publish_coupon.input.json")["description"], "Actions", _AUTOMATION,
        status=202, request="actions/publish_coupon.input.json",
        response="actions/publish_coupon.output.json", idempotent=True,
        errors=(*_AUTHED_ERRORS, *_BODY_ERRORS, 409),
        response_description="The action run, started.",
    ),
    Route(
        "GET", "/v1/actions/{id}", "get_action_run", "Get an action run",
        "The progress of an action run and of each of its deliveries.", "Actions", _AUTOMATION,
        response="common/action_run.json", path_params=_RUN_ID, errors=(*_AUTHED_ERRORS, 404),
    ),
    Route(
        "POST", "/v1/actions/{id}/retry", "retry_action_run", "Retry an action run",
        "Sends the run's dead deliveries again, with fresh retries.", "Actions", _AUTOMATION, status=202,
        response="common/action_run.json", path_params=_RUN_ID, idempotent=True,
        errors=(*_AUTHED_ERRORS, 404, 409), response_description="The action run, retrying.",
    ),
    Route(
        "GET", "/v1/locations", "list_locations", "List locations",
        "The hub's locations, for dropdowns.", "Lookups", _AUTOMATION, response="lookups/location.json",
        response_is_list=True, lookup=True, errors=(*_AUTHED_ERRORS, 422),
        params=(
            ("connection_id", "lookups/location.json#/properties/connection_id",
             "Only the locations of this POS connection (the hub's id of the connection)."),
            _LIMIT,
        ),
    ),
    Route(
        "GET", "/v1/connections", "list_connections", "List POS connections",
        "The hub's POS connections, for dropdowns.", "Lookups", _AUTOMATION,
        response="lookups/connection.json", response_is_list=True, lookup=True, params=(_LIMIT,),
        errors=(*_AUTHED_ERRORS, 422),
    ),
    Route(
        "GET", "/v1/menu-items", "list_menu_items", "List menu items",
        "The catalog's menu items, for dropdowns.", "Lookups", _AUTOMATION, response="lookups/menu_item.json",
        response_is_list=True, lookup=True, params=(_LIMIT,), errors=(*_AUTHED_ERRORS, 422),
    ),
    Route(
        "GET", "/v1/coupons", "list_coupons", "List coupons",
        "The catalog's coupons, for dropdowns.", "Lookups", _AUTOMATION, response="lookups/coupon.json",
        response_is_list=True, lookup=True, params=(_LIMIT,), errors=(*_AUTHED_ERRORS, 422),
    ),
    Route(
        "POST", "/v1/pos/purchases", "report_purchases", "Report purchases",
        schemas.schema("pos/purchases.input.json")["description"], "POS", _POS,
        request="pos/purchases.input.json", response="pos/purchases.output.json", idempotent=True,
        errors=(*_AUTHED_ERRORS, *_BODY_ERRORS, 409), response_description="What was recorded.",
    ),
    Route(
        "PUT", "/v1/pos/inventory", "report_inventory", "Report stock counts",
        schemas.schema("pos/inventory.input.json")["description"], "POS", _POS,
        request="pos/inventory.input.json", response="pos/inventory.output.json",
        errors=(*_AUTHED_ERRORS, *_BODY_ERRORS), response_description="What was stored.",
    ),
    Route(
        "POST", "/v1/pos/heartbeat", "heartbeat", "Send a heartbeat",
        schemas.schema("pos/heartbeat.input.json")["description"], "POS", _POS,
        request="pos/heartbeat.input.json", request_optional=True, response="pos/heartbeat.output.json",
        errors=(*_AUTHED_ERRORS, *_BODY_ERRORS),
    ),
    Route(
        "GET", "/v1/pos/menu", "pos_menu", "Fetch the menu",
        schemas.schema("pos/menu.output.json")["description"], "POS", _POS, response="pos/menu.output.json",
        etag=True, errors=_AUTHED_ERRORS,
    ),
    Route(
        "GET", "/v1/pos/coupons", "pos_coupons", "Fetch the coupons",
        schemas.schema("pos/coupons.output.json")["description"], "POS", _POS,
        response="pos/coupons.output.json", etag=True, errors=_AUTHED_ERRORS,
    ),
    Route(
        "POST", "/v1/webhooks/{connection_id}", "vendor_callback", "Receive a POS vendor's webhook",
        "Accepts a POS vendor's native webhook (Square, Shopify, ...) for the connection, after checking "
        "that vendor's signature scheme. The body is the vendor's own format. Each vendor event is acted on "
        "once: a redelivered event (same event id, kept for 7 days) answers 200 with duplicate true and "
        "changes nothing. Callbacks are limited per connection (per source address for unknown ids).",
        "Vendor callbacks", (),
        path_params=(("connection_id", "The hub's id of the POS connection the callback is for."),),
        errors=(400, 401, 404, 413, 429), response_description="The callback was accepted.",
        inline_request={"description": "The vendor's own webhook payload."},
        inline_response={
            "type": "object",
            "required": ["received", "event_id", "poll_scheduled", "duplicate"],
            "properties": {
                "received": {"type": "boolean", "const": True},
                "event_id": {"type": ["string", "null"],
                             "description": "The vendor's event id, if it sent one."},
                "poll_scheduled": {"type": "boolean",
                                   "description": "An early poll of the connection is due."},
                "duplicate": {"type": "boolean",
                              "description": "This event was received before; nothing was done this time."},
            },
        },
    ),
    Route(
        "GET", "/v1/admin/connector-types", "admin_list_connector_types", "List POS connector types",
        schemas.schema("admin/connector_type.json")["description"], _ADMIN_TAG, _ADMIN,
        response="admin/connector_type.json", response_is_list=True, errors=_AUTHED_ERRORS,
    ),
    Route(
        "GET", "/v1/admin/connections", "admin_list_connections", "List connections with their health",
        "Every connection of the hub, sorted by name, with its settings and health (status, last contact, "
        "last error); never its credentials.", _ADMIN_TAG, _ADMIN,
        response="admin/connection.json", response_is_list=True, errors=_AUTHED_ERRORS,
    ),
    Route(
        "POST", "/v1/admin/connections", "admin_create_connection", "Connect a POS",
        schemas.schema("admin/connection.input.json")["description"], _ADMIN_TAG, _ADMIN, status=201,
        request="admin/connection.input.json", response="admin/connection.json",
        errors=(*_AUTHED_ERRORS, *_BODY_ERRORS), response_description="The connection, added.",
    ),
    Route(
        "GET", "/v1/admin/connections/{connection_id}", "admin_get_connection", "Get a connection",
        "One connection of the hub with its settings and health; never its credentials.", _ADMIN_TAG, _ADMIN,
        response="admin/connection.json", path_params=_CONNECTION_ID, errors=(*_AUTHED_ERRORS, 404),
    ),
    Route(
        "POST", "/v1/admin/connections/{connection_id}/test", "admin_test_connection", "Test a connection",
        "Calls the POS with the stored settings and credentials and says whether it answered (a POS that "
        "does not answer is still a 200, with ok false).", _ADMIN_TAG, _ADMIN,
        response="admin/connection_test.output.json", path_params=_CONNECTION_ID,
        errors=(*_AUTHED_ERRORS, 404), response_description="Whether the POS answered.",
    ),
    Route(
        "POST", "/v1/admin/connections/{connection_id}/poll", "admin_poll_connection",
        "Poll a connection now",
        "Polls the connection now instead of at its next interval, e.g. after fixing its credentials.",
        _ADMIN_TAG, _ADMIN, status=202, response="admin/poll.output.json", path_params=_CONNECTION_ID,
        errors=(*_AUTHED_ERRORS, 404), response_description="The poll, started or already running.",
    ),
    Route(
        "POST", "/v1/admin/connections/{connection_id}/simulate", "admin_simulate", "Simulate at a sandbox",
        schemas.schema("admin/simulate.input.json")["description"], _ADMIN_TAG, _ADMIN,
        request="admin/simulate.input.json", response="admin/simulate.output.json",
        path_params=_CONNECTION_ID, errors=(*_AUTHED_ERRORS, *_BODY_ERRORS, 404),
        response_description="What the simulation did.",
    ),
    Route(
        "POST", "/v1/admin/connections/{connection_id}/import-menu", "admin_import_menu",
        "Import the POS's menu",
        "Imports the POS's own menu into the catalog, for accounts where that POS is the master of product "
        "data; the POS is never pushed its own menu back. 422 when the POS cannot export its menu or "
        "refuses, 503 when it cannot be reached for now.", _ADMIN_TAG, _ADMIN,
        request="admin/import_menu.input.json", request_optional=True,
        response="admin/import_menu.output.json", path_params=_CONNECTION_ID,
        errors=(*_AUTHED_ERRORS, *_BODY_ERRORS, 404, 503), response_description="What was imported.",
    ),
    Route(
        "GET", "/v1/admin/keys", "admin_list_keys", "List API keys",
        "The hub's API keys, oldest first, by prefix only: secrets are never shown again.", _ADMIN_TAG,
        _ADMIN, response="admin/key.json", response_is_list=True, errors=_AUTHED_ERRORS,
    ),
    Route(
        "POST", "/v1/admin/keys", "admin_create_key", "Issue an API key",
        schemas.schema("admin/key.input.json")["description"] + " The answer is the only time the key's "
        "secret is shown.", _ADMIN_TAG, _ADMIN, status=201, request="admin/key.input.json",
        response="admin/key_created.json", errors=(*_AUTHED_ERRORS, *_BODY_ERRORS),
        response_description="The key, with its secret (shown once).",
    ),
    Route(
        "DELETE", "/v1/admin/keys/{key_id}", "admin_revoke_key", "Revoke an API key",
        "Revokes an active key of the hub; it stops working at once.", _ADMIN_TAG, _ADMIN, status=204,
        path_params=(("key_id", "The key's id, e.g. key_5a6b7c8d9e0f1a2b."),),
        errors=(*_AUTHED_ERRORS, 404), response_description="Revoked.",
    ),
]


def component_name(path: str) -> str:
    """The components.schemas key of a schema file: "common/money.json" -> "common.money"."""
    return path.removesuffix(".json").replace("/", ".")


def _schema_ref(path: str, fragment: str = "") -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{component_name(path)}{fragment}"}


def _rewrite_refs(node: Any, path: str, base_uri: str) -> Any:
    """A copy of a schema with every $ref pointed inside the OpenAPI document."""
    if isinstance(node, list):
        return [_rewrite_refs(item, path, base_uri) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "$ref" and isinstance(value, str):
            target, fragment = urldefrag(urljoin(base_uri, value))
            if not target.startswith(schemas.BASE_URI):
                raise ValueError(f"{path}: $ref {value!r} leaves the schemas/ directory")
            out[key] = _schema_ref(target.removeprefix(schemas.BASE_URI), fragment)["$ref"]
        else:
            out[key] = _rewrite_refs(value, path, base_uri)
    return out


def _component(path: str) -> dict[str, Any]:
    doc = schemas.schema(path)
    base_uri = doc.pop("$id", schemas.BASE_URI + path)
    # $id would re-base "#/components/..." refs on the file's URI; $schema is implied by OpenAPI 3.1.
    doc.pop("$schema", None)
    return _rewrite_refs(doc, path, base_uri)


def _problem_response(status: int) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": _ERROR_TEXT[status],
        "content": {"application/problem+json": {"schema": _schema_ref(PROBLEM_SCHEMA)}},
    }
    if status == 429:
        response["headers"] = {"Retry-After": {"$ref": "#/components/headers/Retry-After"}}
    if status in _SIZE_ERRORS:
        response["content"]["text/html"] = {"schema": {"type": "string"}}
    return response


def _parameters(route: Route) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "description": text, "schema": {"type": "string"}}
        for name, text in route.path_params
    ]
    for query_schema in route.query:
        doc = schemas.schema(query_schema)
        for name, prop in doc["properties"].items():
            params.append(
                {
                    "name": name,
                    "in": "query",
                    "required": name in doc.get("required", []),
                    "description": prop["description"],
                    "schema": _schema_ref(query_schema, f"/properties/{name}"),
                }
            )
    for name, ref, text in route.params:
        path, fragment = ref.split("#", 1)
        params.append(
            {"name": name, "in": "query", "required": False, "description": text,
             "schema": _schema_ref(path, fragment)}
        )
    if route.lookup:
        params.append({"$ref": "#/components/parameters/q"})
    if route.idempotent:
        params.append({"$ref": "#/components/parameters/Idempotency-Key"})
    if route.etag:
        params.append({"$ref": "#/components/parameters/If-None-Match"})
    return params


def _operation(route: Route) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": route.operation_id,
        "summary": route.summary,
        "description": route.description,
        "tags": [route.tag],
        "security": [{"BearerAuth": []}, {"ApiKeyHeader": []}] if route.scopes else [],
    }
    if route.scopes:
        operation["x-scopes"] = list(route.scopes)
    params = _parameters(route)
    if params:
        operation["parameters"] = params
    if route.request:
        operation["requestBody"] = {
            "required": not route.request_optional,
            "content": {"application/json": {"schema": _schema_ref(route.request)}},
        }
    elif route.inline_request is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": route.inline_request}},
        }

    success: dict[str, Any] = {"description": route.response_description}
    if route.response:
        body = _schema_ref(route.response)
        if route.response_is_list:
            body = {"type": "array", "items": body}
        success["content"] = {"application/json": {"schema": body}}
    elif route.inline_response is not None:
        success["content"] = {"application/json": {"schema": route.inline_response}}
    if route.etag:
        success["headers"] = {"ETag": {"$ref": "#/components/headers/ETag"}}
    responses: dict[str, Any] = {str(route.status): success}
    if route.etag:
        responses["304"] = {
            "description": "Not modified: the If-None-Match tag is still current.",
            "headers": {"ETag": {"$ref": "#/components/headers/ETag"}},
        }
    # A malformed Idempotency-Key (blank, too long) is a 400 wherever the header is taken.
    implied = (*_SIZE_ERRORS, *((400,) if route.idempotent else ()))
    for status in sorted({*route.errors, *implied}):
        responses[str(status)] = {"$ref": f"#/components/responses/Problem{status}"}
    operation["responses"] = responses
    return operation


def _shared_components() -> dict[str, Any]:
    return {
        "securitySchemes": {
            "BearerAuth": {
                "type": "http",
                "scheme": "bearer",
                "description": "The API key sent as Authorization: Bearer <key>.",
            },
            "ApiKeyHeader": {
                "type": "apiKey",
                "in": "header",
                "name": "X-API-Key",
                "description": "The API key sent as X-API-Key: <key>.",
            },
        },
        "parameters": {
            "q": {
                "name": "q",
                "in": "query",
                "required": False,
                "description": "Only entries whose name (or code, SKU, id) contains this text, "
                "ignoring case.",
                "schema": {"type": "string", "maxLength": 200},
            },
            "Idempotency-Key": {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "description": "Any unique text; a retried request with the same key and body gets the first "
                "answer again and changes nothing more. The same key with another body is refused with 409.",
                "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "\\S"},
            },
            "If-None-Match": {
                "name": "If-None-Match",
                "in": "header",
                "required": False,
                "description": "The ETag of the copy you have; the answer is 304 while it is still current.",
                "schema": {"type": "string"},
            },
        },
        "headers": {
            "ETag": {"description": "The version tag of this answer.", "schema": {"type": "string"}},
            "Retry-After": {
                "description": "How many seconds to wait before retrying.",
                "schema": {"type": "integer", "minimum": 0},
            },
        },
        "responses": {f"Problem{status}": _problem_response(status) for status in _ERROR_TEXT},
    }


def build_openapi(base_url: str = "") -> dict[str, Any]:
    """The OpenAPI 3.1 document of the public API, served at /openapi.json."""
    paths: dict[str, dict[str, Any]] = {}
    for route in ROUTES:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route)
    components = _shared_components()
    components["schemas"] = {component_name(path): _component(path) for path in schemas.all_schema_paths()}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "POS connector hub",
            "version": "1.0.0",
            "description": "Connects point-of-sale systems (smart fridges, kiosks, tills) to the food "
            "company's catalog, with triggers, actions and lookups for Zapier, n8n and Make. Every "
            "error is an RFC 9457 problem (application/problem+json), with one exception: a request "
            "that is not valid HTTP/1.1, or whose request line or headers pass the web server's own limits "
            f"({SERVER_MAX_REQUEST_LINE} bytes of request line, {SERVER_MAX_HEADERS} header fields, "
            f"{SERVER_MAX_HEADER_BYTES} bytes in one field), is refused by the web server before it reaches "
            "the API, with a text/html 400, 414 or 431 page.",
        },
        "servers": [{"url": base_url or "/"}],
        "tags": [{"name": tag} for tag in dict.fromkeys(route.tag for route in ROUTES)],
        "paths": paths,
        "components": components,
    }


def referenced_schema_paths() -> set[str]:
    """Every schema file the routes use, directly or through $refs between files."""
    documents = {path: schemas.schema(path) for path in schemas.all_schema_paths()}
    pending = [path for route in ROUTES for path in route.schema_paths()]
    seen: set[str] = set()
    while pending:
        path = pending.pop()
        if path in seen:
            continue
        seen.add(path)
        base_uri = documents[path].get("$id", schemas.BASE_URI + path)
        pending.extend(_refs_of(documents[path], base_uri))
    return seen


def _refs_of(node: Any, base_uri: str) -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                target = urldefrag(urljoin(base_uri, value))[0]
                if target.startswith(schemas.BASE_URI):
                    found.append(target.removeprefix(schemas.BASE_URI))
            else:
                found.extend(_refs_of(value, base_uri))
    elif isinstance(node, list):
        for item in node:
            found.extend(_refs_of(item, base_uri))
    return found


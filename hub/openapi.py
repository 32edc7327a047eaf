"""The OpenAPI 3.1 document of the public API, built from the views' declarations and the schema files.

Each operation comes from a route of the app and the `Endpoint` declared on its view
(hub.endpoints): the route gives the method and path, the declaration everything else, and the
same declaration enforces the scopes the operation advertises. Each file under schemas/ becomes
one entry of ``components.schemas`` named after its path ("triggers/new_purchase.output.json" ->
"triggers.new_purchase.output"), with its ``$ref``s rewritten to point inside the document.
The document is served at /openapi.json by this module's own blueprint.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urldefrag, urljoin

from flask import Blueprint, Flask, Response, current_app, request

from hub import schemas
from hub.api import BLUEPRINTS
from hub.endpoints import Endpoint, Operation, declared_operations
from hub.keys import SCOPES
from hub.request_guard import (
    MAX_HEADER_BYTES,
    MAX_HEADERS,
    MAX_URL_BYTES,
    SERVER_MAX_HEADER_BYTES,
    SERVER_MAX_HEADERS,
    SERVER_MAX_REQUEST_LINE,
)

PROBLEM_SCHEMA = "common/problem.json"

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
# Any request can be too large in its URL or headers (hub/request_guard.py).
_SIZE_ERRORS = (414, 431)
# A body read against its schema can be malformed, too large, not JSON, or break its contract.
_BODY_ERRORS = (400, 413, 415, 422)

blueprint = Blueprint("openapi", __name__)


@blueprint.get("/openapi.json")
@Endpoint(
    operation_id="openapi", summary="This OpenAPI document", tag="Contracts", scopes=(),
    description="The OpenAPI 3.1 description of the API, built from the JSON Schema files.",
    response_description="The OpenAPI document.", inline_response={"type": "object"},
)
def openapi() -> Response:
    """The OpenAPI 3.1 document of this app, built once per base URL."""
    base_url = request.host_url.rstrip("/")
    built = current_app.extensions.setdefault("hub_openapi", {})
    if base_url not in built:
        built[base_url] = json.dumps(build_openapi(base_url, current_app))
    return Response(built[base_url], mimetype="application/json")


def register_api(app: Flask) -> None:
    """Register every route of the API on the app: each area's blueprint, then this document's own."""
    for area in (*BLUEPRINTS, blueprint):
        app.register_blueprint(area)


def _api_app() -> Flask:
    """A bare app with the API's routes (no runtime): what the document is built from outside a request."""
    app = Flask(__name__, static_folder=None)
    register_api(app)
    return app


def _implied_errors(endpoint: Endpoint) -> set[int]:
    """The errors an operation has by what it declares, so that no declaration can forget them."""
    implied = set(_SIZE_ERRORS)
    if endpoint.scopes:  # no key or a bad key (401), too many requests (429), another scope's key (403)
        implied |= {401, 429} | ({403} if set(endpoint.scopes) != set(SCOPES) else set())
    if endpoint.request:
        implied |= set(_BODY_ERRORS)
    if endpoint.idempotent:  # a malformed Idempotency-Key (400), or one reused with another body (409)
        implied |= {400, 409}
    return implied


def _schema_paths(endpoint: Endpoint) -> set[str]:
    """The schema files an endpoint names directly."""
    named = {endpoint.response, endpoint.request, *endpoint.query,
             *(ref.split("#")[0] for _, ref, _ in endpoint.params)}
    if endpoint.errors or endpoint.scopes:
        named.add(PROBLEM_SCHEMA)
    return {path for path in named if path}


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


def _parameters(endpoint: Endpoint) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "description": text, "schema": {"type": "string"}}
        for name, text in endpoint.path_params
    ]
    for query_schema in endpoint.query:
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
    for name, ref, text in endpoint.params:
        path, fragment = ref.split("#", 1)
        params.append(
            {"name": name, "in": "query", "required": False, "description": text,
             "schema": _schema_ref(path, fragment)}
        )
    if endpoint.lookup:
        params.append({"$ref": "#/components/parameters/q"})
    if endpoint.paged:
        params.append({"$ref": "#/components/parameters/cursor"})
    if endpoint.idempotent:
        params.append({"$ref": "#/components/parameters/Idempotency-Key"})
    if endpoint.etag:
        params.append({"$ref": "#/components/parameters/If-None-Match"})
    return params


def _operation(endpoint: Endpoint) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": endpoint.operation_id,
        "summary": endpoint.summary,
        "description": endpoint.description,
        "tags": [endpoint.tag],
        "security": [{"BearerAuth": []}, {"ApiKeyHeader": []}] if endpoint.scopes else [],
    }
    if endpoint.scopes:
        operation["x-scopes"] = list(endpoint.scopes)
    params = _parameters(endpoint)
    if params:
        operation["parameters"] = params
    if endpoint.request:
        operation["requestBody"] = {
            "required": not endpoint.request_optional,
            "content": {"application/json": {"schema": _schema_ref(endpoint.request)}},
        }
    elif endpoint.inline_request is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": endpoint.inline_request}},
        }

    success: dict[str, Any] = {"description": endpoint.response_description}
    if endpoint.response:
        body = _schema_ref(endpoint.response)
        if endpoint.response_is_list:
            body = {"type": "array", "items": body}
        success["content"] = {"application/json": {"schema": body}}
    elif endpoint.inline_response is not None:
        success["content"] = {"application/json": {"schema": endpoint.inline_response}}
    if endpoint.etag:
        success["headers"] = {"ETag": {"$ref": "#/components/headers/ETag"}}
    if endpoint.paged:
        success["headers"] = {"X-Next-Cursor": {"$ref": "#/components/headers/X-Next-Cursor"},
                              "Link": {"$ref": "#/components/headers/Link"}}
    for name, description in endpoint.headers:
        success.setdefault("headers", {})[name] = {"description": description, "schema": {"type": "string"}}
    responses: dict[str, Any] = {str(endpoint.status): success}
    if endpoint.etag:
        responses["304"] = {
            "description": "Not modified: the If-None-Match tag is still current.",
            "headers": {"ETag": {"$ref": "#/components/headers/ETag"}},
        }
    for status in sorted({*endpoint.errors, *_implied_errors(endpoint)}):
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
            "cursor": {
                "name": "cursor",
                "in": "query",
                "required": False,
                "description": "Where the page starts: the X-Next-Cursor of the previous page (opaque; leave "
                "it out for the first page). A cursor that is not one is refused with 422.",
                "schema": {"type": "string", "maxLength": 1000},
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
            "X-Next-Cursor": {
                "description": "Present while more entries follow this page: pass it as cursor to get the "
                "next page (opaque). Absent on the last page.",
                "schema": {"type": "string"},
            },
            "Link": {
                "description": "The next page's address, as <url>; rel=\"next\" (RFC 8288); absent on the "
                "last page.",
                "schema": {"type": "string"},
            },
            "Retry-After": {
                "description": "How many seconds to wait before retrying.",
                "schema": {"type": "integer", "minimum": 0},
            },
        },
        "responses": {f"Problem{status}": _problem_response(status) for status in _ERROR_TEXT},
    }


def build_openapi(base_url: str = "", app: Flask | None = None) -> dict[str, Any]:
    """The OpenAPI 3.1 document of the app's API (by default, of its routes on a bare app)."""
    operations = declared_operations(app or _api_app())
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op.endpoint)
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
        "tags": [{"name": tag} for tag in dict.fromkeys(op.endpoint.tag for op in operations)],
        "paths": paths,
        "components": components,
    }


def referenced_schema_paths(app: Flask | None = None) -> set[str]:
    """Every schema file the app's operations use, directly or through $refs between files."""
    documents = {path: schemas.schema(path) for path in schemas.all_schema_paths()}
    operations: list[Operation] = declared_operations(app or _api_app())
    pending = [path for op in operations for path in _schema_paths(op.endpoint)]
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


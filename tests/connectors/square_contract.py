"""Square's published contract, held against every request the Square connector sends in the tests.

``SquareMock`` is a ``responses`` mock that checks each request before answering it: the operation must
be one of Square's (tests/fixtures/square/openapi-trimmed.json, trimmed from Square's OpenAPI document
by trim_openapi.py), its query parameters declared, and its JSON body valid against the operation's
request schema made strict: properties Square marks ``readOnly`` are refused (Square ignores them, so
the hub must not rely on them), unknown properties are refused, required ones must be there.
"""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import jsonschema
import responses
from jsonschema import ValidationError

SPEC_FILE = Path(__file__).parent.parent / "fixtures" / "square" / "openapi-trimmed.json"
_REF = "#/components/schemas/"


class ContractViolation(AssertionError):
    """A request the Square connector sent that Square's published contract does not allow."""


def _read_only(validator: Any, value: bool, instance: Any, schema: dict[str, Any]) -> Any:
    # Only reached for a property that is present: Square ignores what an application writes there.
    if value:
        yield ValidationError("is read-only in Square's API: Square ignores what an application sets here")


_Validator = jsonschema.validators.extend(jsonschema.Draft7Validator, {"readOnly": _read_only})


def strict(node: Any) -> Any:
    """An OpenAPI 3.0 schema as a strict JSON Schema: nullable as a type, no unknown properties."""
    if isinstance(node, list):
        return [strict(n) for n in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        # OpenAPI 3.0 ignores a $ref's siblings except for what we give meaning to: nullable, readOnly.
        out: dict[str, Any] = {"$ref": "#/definitions/" + node["$ref"][len(_REF):]}
        if node.get("nullable"):
            out = {"anyOf": [out, {"type": "null"}]}
        if node.get("readOnly"):
            out["readOnly"] = True
        return out
    out = {key: strict(value) if key in ("items", "additionalProperties", "allOf", "anyOf", "oneOf", "not")
           else value for key, value in node.items() if key != "nullable"}
    if "properties" in node:
        out["properties"] = {name: strict(prop) for name, prop in node["properties"].items()}
        out.setdefault("additionalProperties", False)
    if node.get("nullable"):
        read_only = out.pop("readOnly", None)
        out = {"anyOf": [out, {"type": "null"}]}
        if read_only:
            out["readOnly"] = True
    return out


@cache
def spec() -> dict[str, Any]:
    """The trimmed Square OpenAPI document."""
    return json.loads(SPEC_FILE.read_text())


@cache
def _definitions() -> dict[str, Any]:
    return {name: strict(schema) for name, schema in spec()["components"]["schemas"].items()}


def _operation(method: str, path: str) -> dict[str, Any] | None:
    for template, item in spec()["paths"].items():
        pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path) and method.lower() in item:
            return item[method.lower()]
    return None


def request_schema(method: str, path: str) -> dict[str, Any] | None:
    """The strict JSON Schema of the operation's request body, or None when it takes none."""
    operation = _operation(method, path)
    body = (operation or {}).get("requestBody")
    if body is None:
        return None
    schema = strict(body["content"]["application/json"]["schema"])
    return {**schema, "definitions": _definitions()}


def problems(method: str, url: str, body: bytes | str | None) -> list[str]:
    """What in this request Square's contract does not allow ('where: why' lines); empty when valid."""
    parts = urlsplit(url)
    operation = _operation(method, parts.path)
    if operation is None:
        return [f"{method} {parts.path}: not an operation of Square's API (or not in the trimmed spec)"]
    declared = {p["name"] for p in operation.get("parameters") or [] if p.get("in") == "query"}
    found = [f"query {name}: not a parameter of {operation['operationId']}"
             for name, _ in parse_qsl(parts.query) if name not in declared]
    schema = request_schema(method, parts.path)
    if schema is None:
        return found + ([f"{operation['operationId']} takes no body"] if body else [])
    try:
        document = json.loads(body or b"")
    except ValueError:
        return [*found, f"{operation['operationId']}: the body is not JSON"]
    for error in _leaves(_Validator(schema).iter_errors(document)):
        where = "/".join(str(p) for p in error.absolute_path)
        found.append(f"{operation['operationId']} /{where}: {error.message}")
    return found


def _leaves(errors: Any) -> list[ValidationError]:
    """The errors that say why, not "not valid under any of the given schemas" (nullable's anyOf)."""
    out: list[ValidationError] = []
    for error in errors:
        if error.validator == "anyOf" and error.context:
            out.extend(_leaves(e for e in error.context if e.validator_value != "null"))
        else:
            out.append(error)
    return sorted(out, key=lambda e: [str(p) for p in e.absolute_path])


class SquareMock(responses.RequestsMock):
    """A ``responses`` mock that refuses (and remembers) every request outside Square's contract."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("assert_all_requests_are_fired", False)
        super().__init__(**kwargs)
        self.violations: list[str] = []

    def _on_request(self, adapter: Any, request: Any, **kwargs: Any) -> Any:
        found = problems(request.method, request.url, request.body)
        if found:
            self.violations.extend(found)
            raise ContractViolation("; ".join(found))
        return super()._on_request(adapter, request, **kwargs)

    def __exit__(self, *exc_info: Any) -> None:
        super().__exit__(*exc_info)
        # Also caught when the connector swallowed the ContractViolation raised at the request.
        if self.violations and exc_info[0] is None:
            raise ContractViolation("; ".join(self.violations))


def writable(obj: Any, schema_name: str = "CatalogObject") -> Any:
    """A copy of a catalog object without what Square ignores on write (its readOnly properties)."""
    return _drop_read_only(copy.deepcopy(obj), {"$ref": _REF + schema_name})


def _drop_read_only(value: Any, schema: dict[str, Any]) -> Any:
    schemas = spec()["components"]["schemas"]
    while "$ref" in schema:
        schema = schemas[schema["$ref"][len(_REF):]]
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        for name in list(value):
            prop = props.get(name)
            if prop is None:
                continue
            if prop.get("readOnly"):
                del value[name]
            else:
                value[name] = _drop_read_only(value[name], prop)
    elif isinstance(value, list) and "items" in schema:
        return [_drop_read_only(v, schema["items"]) for v in value]
    return value

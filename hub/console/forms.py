"""Forms generated from a JSON Schema part (a connector's settings or credentials), parsed back to JSON.

`fields_for(schema, "settings", values)` gives one Field per property: string → text (format uri →
url; credentials → password, never pre-filled), enum → select, boolean → checkbox, integer/number →
number, array of strings → textarea with one value per line, object or array of objects → JSON
textarea. `parse_fields(schema, "settings", form)` turns the posted form back into JSON plus the
errors it could not parse, by path. `errors_by_path(message, fields)` places the hub's own problem
messages ("settings/base_url: ...") next to the matching field and keeps the rest for above the form.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import MultiDict

GENERAL = ""  # the errors_by_path key of messages that belong to no field


@dataclass
class Field:
    """One form field: `path` is both the input name and the key of its errors (e.g. settings/base_url)."""

    path: str
    label: str
    kind: str = "text"  # text | url | password | email | select | checkbox | number | lines | json | textarea
    required: bool = False
    help: str | None = None
    value: Any = ""  # what the input shows (a string, or a bool for checkboxes)
    options: list[tuple[str, str]] = field(default_factory=list)  # (value, label) for selects
    step: str | None = None  # "1" for integers, "any" for numbers
    autocomplete: str | None = None
    placeholder: str | None = None

    @property
    def id(self) -> str:
        """The input's id attribute."""
        return "f-" + re.sub(r"[^A-Za-z0-9_-]", "-", self.path)

    @property
    def name(self) -> str:
        """The last part of the path (the JSON property)."""
        return self.path.rsplit("/", 1)[-1]


def _kind(prop: dict[str, Any], secret: bool) -> str:
    types = prop.get("type")
    if isinstance(types, list):
        types = next((t for t in types if t != "null"), "string")
    if "enum" in prop:
        return "select"
    if types == "boolean":
        return "checkbox"
    if types in ("integer", "number"):
        return "number"
    if types == "array":
        items = prop.get("items") or {}
        return "lines" if items.get("type") == "string" and "enum" not in items else "json"
    if types == "object":
        return "json"
    if secret:
        return "password"
    if prop.get("format") == "uri":
        return "url"
    if prop.get("format") == "email":
        return "email"
    return "text"


def _display(kind: str, value: Any) -> Any:
    """A JSON value as the input shows it."""
    if value is None:
        return False if kind == "checkbox" else ""
    if kind == "checkbox":
        return bool(value)
    if kind == "lines":
        return "\n".join(str(v) for v in value) if isinstance(value, list) else str(value)
    if kind == "json":
        return json.dumps(value, indent=2, ensure_ascii=False)
    return str(value)


def fields_for(schema: dict[str, Any], prefix: str, values: dict[str, Any] | None = None,
               secret: bool = False) -> list[Field]:
    """The fields of an object schema's properties, shown with `values` (never for secrets)."""
    values = values or {}
    required = set(schema.get("required", []))
    fields = []
    for name, prop in (schema.get("properties") or {}).items():
        if prop.get("readOnly"):
            continue
        kind = _kind(prop, secret)
        options: list[tuple[str, str]] = []
        if kind == "select":
            options = [(str(v), str(v)) for v in prop["enum"]]
            if name not in required:
                options.insert(0, ("", "(not set)"))
        value = "" if secret else values.get(name, prop.get("default"))
        fields.append(Field(
            path=f"{prefix}/{name}", label=prop.get("title") or name.replace("_", " ").capitalize(),
            kind=kind,
            required=name in required, help=prop.get("description"), value=_display(kind, value),
            options=options,
            step=("1" if prop.get("type") == "integer" else "any") if kind == "number" else None,
            autocomplete="new-password" if secret else "off" if kind in ("text", "url") else None,
            placeholder="one per line" if kind == "lines" else None,
        ))
    return fields


def _parse_one(prop: dict[str, Any], kind: str, raw: str) -> Any:
    """Raise ValueError with a plain message when raw cannot become the property's type."""
    if kind == "number":
        try:
            return int(raw) if prop.get("type") == "integer" else float(raw) if "." in raw else int(raw)
        except ValueError:
            whole = prop.get("type") == "integer"
            raise ValueError("must be a whole number" if whole else "must be a number") from None
    if kind == "lines":
        return [line.strip() for line in raw.splitlines() if line.strip()]
    if kind == "json":
        try:
            return json.loads(raw)
        except json.JSONDecodeError as exc:
            where = f"line {exc.lineno}, column {exc.colno}"
            raise ValueError(f"is not valid JSON ({exc.msg} at {where})") from None
    if kind == "select" and prop.get("type") in ("integer", "number"):
        return json.loads(raw)
    return raw


def parse_fields(schema: dict[str, Any], prefix: str, form: MultiDict[str, str] | dict[str, str],
                 secret: bool = False) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The posted values of fields_for's fields as JSON, and the values that could not be read, by path.

    Empty inputs are left out (the schema then says whether the property is required); a checkbox is
    true when sent and false when not.
    """
    result: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for name, prop in (schema.get("properties") or {}).items():
        if prop.get("readOnly"):
            continue
        path = f"{prefix}/{name}"
        kind = _kind(prop, secret)
        if kind == "checkbox":
            result[name] = form.get(path) in ("on", "true", "1", "yes")
            continue
        raw = form.get(path)
        if raw is None or (kind != "password" and not raw.strip()) or raw == "":
            continue
        try:
            result[name] = _parse_one(prop, kind, raw.strip() if kind not in ("password", "json") else raw)
        except ValueError as exc:
            errors.setdefault(path, []).append(f"{_label(prop, name)} {exc}")
    return result, errors


def _label(prop: dict[str, Any], name: str) -> str:
    return prop.get("title") or name


_PROBLEM = re.compile(r"^(?P<path>[A-Za-z_][\w]*(?:/[^:\s]*)?): (?P<message>.*)$", re.S)
_REQUIRED = re.compile(r"^'(?P<name>[^']+)' is a required property$")


def split_problems(message: str) -> list[str]:
    """The problems of a hub error message (AdminError joins them with '; ')."""
    return [part.strip() for part in message.split("; ") if part.strip()]


def errors_by_path(problems: str | list[str] | list[dict[str, str]],
                   paths: list[str] | None = None) -> dict[str, list[str]]:
    """Problem messages keyed by the field path they belong to; the rest under GENERAL ("").

    Accepts an AdminError message ("settings/base_url: 'x' is not a 'uri'; ..."), a list of such lines,
    or problem JSON errors ([{"path": "/settings/base_url", "message": ...}]). A missing required
    property ("settings/: 'token' is a required property") goes to that property's field. When `paths`
    is given, a path not among them goes to GENERAL too.
    """
    items: list[tuple[str, str]] = []
    if isinstance(problems, str):
        problems = split_problems(problems)
    for problem in problems:
        if isinstance(problem, dict):
            items.append((problem.get("path", "").strip("/"), problem.get("message", "")))
            continue
        match = _PROBLEM.match(problem)
        if match and ("/" in match["path"] or (paths is not None and match["path"] in paths)):
            items.append((match["path"].rstrip("/"), match["message"]))
        else:
            items.append((GENERAL, problem))
    errors: dict[str, list[str]] = {}
    for path, message in items:
        required = _REQUIRED.match(message)
        if required:
            path = f"{path}/{required['name']}" if path else required["name"]
            message = "This field is required."
        # A problem inside a field's value (settings/locations/0/name) belongs to that field.
        if paths is not None and path not in paths:
            owner = next((p for p in sorted(paths, key=len, reverse=True) if path.startswith(p + "/")), None)
            if owner is not None:
                message = f"{path[len(owner) + 1:]}: {message}"
                path = owner
            else:
                message = f"{path}: {message}" if path else message
                path = GENERAL
        errors.setdefault(path, []).append(message)
    return errors


def merge_errors(*many: dict[str, list[str]]) -> dict[str, list[str]]:
    """Several errors_by_path results as one."""
    merged: dict[str, list[str]] = {}
    for errors in many:
        for path, messages in errors.items():
            merged.setdefault(path, []).extend(messages)
    return merged

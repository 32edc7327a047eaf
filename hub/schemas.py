"""The JSON Schema contracts under schemas/: loading, validation with field-level errors, examples.

Every file is loaded once into a ``referencing`` registry keyed by its ``$id``, so relative
``$ref``s between files resolve without touching the network. ``validate`` turns jsonschema's
errors into the ``errors`` list of a 422 problem: one entry per offending field, pointed at by
a JSON pointer and explained in words a no-code user can act on.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable, Iterator
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator, FormatChecker, validators
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from hub.untrusted_json import json_pointer

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"
BASE_URI = "https://pos-hub.dev/schemas/"

_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})", re.ASCII)


def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _RFC3339.fullmatch(value):
        return False
    text = value.upper().replace("Z", "+00:00")
    # fromisoformat (3.11) only takes up to 6 fractional digits; RFC 3339 allows more.
    text = re.sub(r"(\.\d{6})\d+", r"\1", text)
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def _is_uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if any(ch.isspace() for ch in value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:  # e.g. "http://[" (an unclosed IPv6 address)
        return False
    if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*$", parts.scheme or ""):
        return False
    if parts.scheme.lower() in ("http", "https"):
        return bool(parts.netloc)
    return bool(parts.path or parts.netloc)


def _is_uri_reference(value: object) -> bool:
    return not isinstance(value, str) or not any(ch.isspace() for ch in value)


def _format_checker() -> FormatChecker:
    # Our own date-time and uri checks: jsonschema only checks them when optional packages
    # (rfc3339-validator, rfc3987) happen to be installed, and production must not depend on that.
    checker = FormatChecker()
    checker.checks("date-time")(_is_date_time)
    checker.checks("uri")(_is_uri)
    checker.checks("uri-reference")(_is_uri_reference)
    return checker


FORMAT_CHECKER = _format_checker()


def ecma_regex(pattern: str) -> str:
    """A JSON Schema (ECMA-262) pattern in Python's syntax, for the two constructs that differ.

    Python's ``$`` also matches before a final newline ("EUR\\n" would pass ``^[A-Z]{3}$``) and its
    ``\\d`` matches the digits of every script; in ECMA-262 ``$`` ends the text and ``\\d`` is 0-9.
    """
    out: list[str] = []
    in_class = False
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            escaped = pattern[index + 1]
            out.append(("0-9" if in_class else "[0-9]") if escaped == "d" else char + escaped)
            index += 2
            continue
        if char == "[":
            in_class = True
        elif char == "]":
            in_class = False
        elif char == "$" and not in_class:
            char = r"\Z"
        out.append(char)
        index += 1
    return "".join(out)


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(ecma_regex(pattern))


def _pattern(validator: Any, pattern: str, instance: Any, _: dict[str, Any]) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and not _compiled(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


# Draft 2020-12 with the pattern keyword matched as JSON Schema defines it.
_Validator = validators.extend(Draft202012Validator, {"pattern": _pattern})


def _without_dialect(document: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in document.items() if key != "$schema"}


@cache
def _load() -> tuple[dict[str, dict[str, Any]], Registry]:
    documents: dict[str, dict[str, Any]] = {}
    for file in sorted(SCHEMA_DIR.rglob("*.json")):
        documents[file.relative_to(SCHEMA_DIR).as_posix()] = json.loads(file.read_text(encoding="utf-8"))
    # Without "$schema", a $ref'd file is validated by our validator class rather than by the stock
    # Draft 2020-12 one that jsonschema would pick for that dialect (and its Python-regex patterns).
    registry: Registry = Registry().with_resources(
        (doc.get("$id", BASE_URI + path),
         Resource(contents=_without_dialect(doc), specification=DRAFT202012))
        for path, doc in documents.items()
    )
    return documents, registry.crawl()


def _document(path: str) -> dict[str, Any]:
    documents, _ = _load()
    try:
        return documents[path]
    except KeyError:
        raise KeyError(f"no schema file {path!r} under schemas/") from None


def all_schema_paths() -> list[str]:
    """Every schema file's path relative to schemas/, sorted, e.g. "common/money.json"."""
    return sorted(_load()[0])


def schema(path: str) -> dict[str, Any]:
    """A copy of one schema file, e.g. schema("triggers/new_purchase.output.json")."""
    return copy.deepcopy(_document(path))


def example(path: str) -> Any:
    """A copy of the first example of a schema file."""
    return copy.deepcopy(_document(path)["examples"][0])


@cache
def _validator(path: str) -> Draft202012Validator:
    return _Validator(_without_dialect(_document(path)), registry=_load()[1], format_checker=FORMAT_CHECKER)


def validate(path: str, instance: Any) -> list[dict[str, str]]:
    """Every violation of the schema file at path, as {"path": JSON pointer, "message"}, sorted by path."""
    found: dict[tuple[str, str], None] = {}
    validator = _validator(path)
    for error in validator.iter_errors(instance):
        for pointer, message in _explain(error, validator.schema):
            found[(pointer, message)] = None
    ordered = sorted(found, key=lambda item: (_pointer_sort_key(item[0]), item[1]))
    return [{"path": pointer, "message": message} for pointer, message in ordered]


# ---------- turning jsonschema errors into field errors ----------

_TYPE_WORDS = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "object": "an object (a group of fields)",
    "array": "a list",
    "null": "empty (null)",
}
_FORMAT_WORDS = {
    "date-time": "a date and time with time zone, like 2025-03-14T12:30:00Z",
    "uri": "a full web address, like https://example.com/image.jpg",
    "uri-reference": "a web address or path",
}
_PATTERN_WORDS = {
    r"^-?\d{1,12}(\.\d{1,4})?$": 'a decimal number written as text, like "8.90"',
    r"^\d{1,12}(\.\d{1,4})?$": 'a decimal number of 0 or more written as text, like "8.90"',
    r"^[A-Z]{3}$": 'a three-letter currency code in capitals, like "EUR"',
    r"^[A-Za-z0-9_-]{3,40}$": "3 to 40 letters, digits, _ or -",
    r"^(?:100(?:\.0{1,4})?|[1-9]\d?(?:\.\d{1,4})?|0\.(?=\d*[1-9])\d{1,4})$": (
        'a percentage written as text, more than 0 and at most 100, like "10"'
    ),
    "^[Hh][Tt][Tt][Pp][Ss]?://": "a web address starting with http:// or https://",
}
# Keywords whose failure means "this value has another shape altogether", used to pick
# which alternative of a oneOf/anyOf the sender meant.
_SHAPE_KEYWORDS = {"type", "const", "enum", "additionalProperties"}


def _pointer_sort_key(pointer: str) -> tuple[tuple[int, int, str], ...]:
    # Numeric-aware so that /items/2 sorts before /items/10.
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part) for part in pointer.split("/")[1:]
    )


def _field_name(parts: list[Any]) -> str:
    name = ""
    for part in parts:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name or "the request body"


def _label(title: Any, parts: list[Any]) -> str:
    name = _field_name(parts)
    return f"{title} ({name})" if isinstance(title, str) and parts else name[:1].upper() + name[1:]


def _titles_in_scope(root: dict[str, Any], schema_path: Iterable[Any]) -> dict[str, str]:
    """Property titles of every object schema on the way to a failing keyword.

    A keyword such as ``then: {"required": [...]}`` names properties that are defined (with their
    titles) further up, so the labels are looked up along the error's schema path.
    """
    titles: dict[str, str] = {}
    resolver = _load()[1].resolver(base_uri=root.get("$id", BASE_URI))
    node: Any = root
    for key in schema_path:
        if isinstance(node, dict):
            for name, prop in node.get("properties", {}).items():
                if isinstance(prop, dict) and "title" in prop:
                    titles[name] = prop["title"]
            if key == "$ref":
                resolved = resolver.lookup(node["$ref"])
                node, resolver = resolved.contents, resolved.resolver
                continue
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            break
    return titles


def _explain(error: ValidationError, root: dict[str, Any]) -> Iterator[tuple[str, str]]:
    parts = list(error.absolute_path)
    keyword = error.validator
    subschema = error.schema if isinstance(error.schema, dict) else {}
    value = error.validator_value

    if keyword == "required":
        properties = subschema.get("properties", {})
        present = error.instance if isinstance(error.instance, dict) else {}
        for name in value:
            if name not in present:
                title = properties.get(name, {}).get("title")
                if title is None:
                    title = _titles_in_scope(root, error.absolute_schema_path).get(name)
                yield json_pointer([*parts, name]), f"{_label(title, [*parts, name])} is required."
        return
    if keyword == "additionalProperties" and value is False and isinstance(error.instance, dict):
        known = set(subschema.get("properties", {}))
        patterns = [re.compile(p) for p in subschema.get("patternProperties", {})]
        for name in error.instance:
            if name not in known and not any(p.search(name) for p in patterns):
                allowed = ", ".join(sorted(known)) or "none"
                yield (
                    json_pointer([*parts, name]),
                    f"{_field_name([*parts, name])} is not a known field here (known fields: {allowed}).",
                )
        return
    if keyword in ("oneOf", "anyOf") and error.context:
        branch = _intended_branch(error.context)
        if branch is not None:
            for sub in branch:
                yield from _explain(sub, root)
            return

    label = _label(subschema.get("title"), parts)
    yield json_pointer(parts), f"{label} {_expectation(keyword, value, error)}."


def _intended_branch(context: list[ValidationError]) -> list[ValidationError] | None:
    """The errors of the oneOf/anyOf alternative the sender most likely meant, or None if none fits."""
    branches: dict[Any, list[ValidationError]] = {}
    for sub in context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)

    def misfit(errors: list[ValidationError]) -> tuple[int, int]:
        shape = sum(1 for e in errors if e.validator in _SHAPE_KEYWORDS and not e.relative_path)
        return shape, len(errors)

    best = min(branches.values(), key=misfit)
    return None if misfit(best)[0] else best


def _expectation(keyword: Any, value: Any, error: ValidationError) -> str:
    if keyword == "type":
        kinds = value if isinstance(value, list) else [value]
        return "must be " + " or ".join(_TYPE_WORDS.get(kind, kind) for kind in kinds)
    if keyword == "enum":
        return "must be one of: " + ", ".join(json.dumps(option) for option in value)
    if keyword == "const":
        return f"must be {json.dumps(value)}"
    if keyword == "pattern":
        return "must be " + _PATTERN_WORDS.get(value, f"text matching the pattern {value}")
    if keyword == "format":
        return "must be " + _FORMAT_WORDS.get(value, f"in the {value} format")
    if keyword == "minimum":
        return f"must be at least {value}"
    if keyword == "maximum":
        return f"must be at most {value}"
    if keyword == "exclusiveMinimum":
        return f"must be more than {value}"
    if keyword == "exclusiveMaximum":
        return f"must be less than {value}"
    if keyword == "minLength":
        return "must not be empty" if value == 1 else f"must have at least {value} characters"
    if keyword == "maxLength":
        return f"must have at most {value} characters"
    if keyword == "minItems":
        return "must have at least one entry" if value == 1 else f"must have at least {value} entries"
    if keyword == "maxItems":
        return f"must have at most {value} entries"
    if keyword == "uniqueItems":
        return "must not list the same value twice"
    if keyword in ("oneOf", "anyOf"):
        return "does not match any of the allowed shapes"
    return "is invalid: " + error.message

"""The account's paths and field names: defaults from the schema file, dotted paths into JSON values."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def defaults(settings_schema: Mapping[str, Any], group: str) -> dict[str, str]:
    """The default of every name in a group of settings ("paths" or "fields"), as the schema states it."""
    properties = settings_schema["properties"][group]["properties"]
    return {name: prop["default"] for name, prop in properties.items()}


def get_path(data: Any, path: str) -> Any:
    """The value at a dotted path (list positions as numbers), or None."""
    for part in path.split(".") if path else []:
        if isinstance(data, Mapping):
            data = data.get(part)
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return None
    return data


def set_path(target: dict[str, Any], path: str, value: Any) -> None:
    """Write value at a dotted path, creating the objects on the way."""
    *parents, last = path.split(".")
    for part in parents:
        target = target.setdefault(part, {})
    target[last] = value


def wrap(list_field: str, records: list[dict[str, Any]]) -> Any:
    """The body of a push: the records at the list field, or the bare list when it is empty."""
    if not list_field:
        return records
    body: dict[str, Any] = {}
    set_path(body, list_field, records)
    return body

"""Square's catalog as its documentation says it answers a batch upsert, for the tests' mocks."""

from __future__ import annotations

import itertools
import json
from typing import Any

from tests.connectors.square_contract import writable

_ids = itertools.count(1)


def _assign_ids(obj: dict[str, Any], mappings: dict[str, str]) -> None:
    if obj.get("id", "").startswith("#"):
        mappings.setdefault(obj["id"], f"SQ{next(_ids):06d}")
    for variation in (obj.get("item_data") or {}).get("variations") or []:
        _assign_ids(variation, mappings)


def _replace_ids(value: Any, mappings: dict[str, str]) -> Any:
    if isinstance(value, str):
        return mappings.get(value, value)
    if isinstance(value, list):
        return [_replace_ids(v, mappings) for v in value]
    if isinstance(value, dict):
        return {k: _replace_ids(v, mappings) for k, v in value.items()}
    return value


def upserted(body: dict[str, Any]) -> dict[str, Any]:
    """The BatchUpsertCatalogObjectsResponse Square gives for this request: every object stored as sent,
    minus what Square ignores on write (readOnly properties), with real ids for "#" ones."""
    mappings: dict[str, str] = {}
    objects = [obj for batch in body["batches"] for obj in batch["objects"]]
    for obj in objects:
        _assign_ids(obj, mappings)
    stored = [_replace_ids(writable(obj), mappings) for obj in objects]
    for obj in stored:
        obj.update(version=1746100000000, is_deleted=False, updated_at="2025-05-01T12:00:00.000Z")
    return {"objects": stored, "updated_at": "2025-05-01T12:00:00.000Z",
            "id_mappings": [{"client_object_id": k, "object_id": v} for k, v in mappings.items()]}


def upsert_callback(request: Any) -> tuple[int, dict[str, str], str]:
    """A ``responses`` callback answering a batch upsert as Square would."""
    return 200, {"Content-Type": "application/json"}, json.dumps(upserted(json.loads(request.body)))

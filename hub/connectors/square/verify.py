"""Whether Square kept what a batch upsert asked for: read back from the objects Square answers with.

Square ignores some writes without an error (read-only fields, for one), so "HTTP 200" is not
"applied". Each object sent is looked up in the answer (by id, or by the id Square gave a "#" one)
and the fields the hub changes must hold what was sent; otherwise the delivery fails for good.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from hub.connectors.base import ConnectorError, ErrorKind
from hub.work.failures import Fault

_PRESENCE = ("present_at_all_locations", "present_at_location_ids", "absent_at_location_ids")
# The fields of each object type that carry what the hub asked for.
CHECKED: dict[str, tuple[str, ...]] = {
    "ITEM": (*_PRESENCE, "item_data.name"),
    "ITEM_VARIATION": (*_PRESENCE, "item_variation_data.price_money", "item_variation_data.sku",
                       "item_variation_data.name"),
    "DISCOUNT": (*_PRESENCE, "discount_data.name", "discount_data.discount_type", "discount_data.percentage",
                 "discount_data.amount_money"),
    "PRODUCT_SET": (*_PRESENCE, "product_set_data.product_ids_any", "product_set_data.all_products"),
    "PRICING_RULE": (*_PRESENCE, "pricing_rule_data.discount_id", "pricing_rule_data.match_products_id",
                     "pricing_rule_data.valid_from_date", "pricing_rule_data.valid_from_local_time",
                     "pricing_rule_data.valid_until_date", "pricing_rule_data.valid_until_local_time"),
}
# What Square assumes when a presence field is left out.
_DEFAULTS: dict[str, Any] = {"present_at_all_locations": True, "present_at_location_ids": [],
                             "absent_at_location_ids": []}


def _flatten(objects: list[Any]) -> list[Mapping[str, Any]]:
    """The objects with the variations nested in items, as one list."""
    out: list[Mapping[str, Any]] = []
    for obj in objects:
        if isinstance(obj, Mapping):
            out.append(obj)
            out.extend(_flatten((obj.get("item_data") or {}).get("variations") or []))
    return out


def _get(obj: Mapping[str, Any], path: str) -> Any:
    value: Any = obj
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return _DEFAULTS.get(path)
        value = value[part]
    return value


def _same(sent: Any, kept: Any, ids: Mapping[str, str]) -> bool:
    if isinstance(sent, str) and sent in ids:
        sent = ids[sent]
    if isinstance(sent, list) and isinstance(kept, list):
        return sorted(ids.get(v, v) if isinstance(v, str) else v for v in sent) == sorted(kept)
    if isinstance(sent, str) and isinstance(kept, str) and sent != kept:
        try:
            return Decimal(sent) == Decimal(kept)  # a percentage "20" that Square writes "20.0"
        except InvalidOperation:
            return False
    return sent == kept


def check_applied(sent: list[dict[str, Any]], answer: Mapping[str, Any]) -> None:
    """Raise a permanent ConnectorError naming each field Square did not keep as sent ("not applied")."""
    ids = {m.get("client_object_id"): m.get("object_id") for m in answer.get("id_mappings") or []
           if isinstance(m, Mapping)}
    kept = {obj.get("id"): obj for obj in _flatten(answer.get("objects") or [])}
    differences = []
    for obj in _flatten(sent):
        object_id = ids.get(obj["id"], obj["id"])
        fields = [f for f in CHECKED.get(obj.get("type", ""), ()) if _get(obj, f) is not None]
        if not fields:
            continue
        stored = kept.get(object_id)
        if stored is None:
            differences.append(f"{obj['type']} {object_id} is not in Square's answer")
            continue
        for field in fields:
            if not _same(_get(obj, field), _get(stored, field), ids):
                differences.append(f"{obj['type']} {object_id} {field}: sent {_get(obj, field)!r}, "
                                   f"Square has {_get(stored, field)!r}")
    if differences:
        raise ConnectorError(ErrorKind.PERMANENT, "Square answered the catalog update but did not keep it "
                             "(not applied): " + "; ".join(differences[:10]),
                             vendor_code="NOT_APPLIED", fault=Fault.VENDOR)

"""What the hub writes into Square's item library: batch-upsert bodies for menu items and coupons."""

from __future__ import annotations

import copy
import hashlib
import json
import uuid
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from hub.connectors.base import ConnectorError, CouponData, ErrorKind, MenuItemData
from hub.connectors.common.money import decimal_to_minor
from hub.connectors.square.catalog import Catalog


def upsert_body(objects: list[dict[str, Any]], idempotency_key: str, purpose: str) -> dict[str, Any]:
    """A BatchUpsertCatalogObjects body of one batch, with a key derived from the push's key."""
    batches = [{"objects": objects}]
    return {"idempotency_key": derived_key(idempotency_key, purpose, batches), "batches": batches}


def derived_key(idempotency_key: str, purpose: str, body: Any) -> str:
    """An idempotency key for one request of a push, from the push's key, its purpose and its body."""
    # The body is part of the key: a retry that finds its first attempt already applied sends
    # real ids instead of "#" ones, and Square rejects a reused key with a different body.
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{idempotency_key}:{purpose}:{digest}"))


def discount_object(coupon: CouponData, existing: Mapping[str, Any] | None, temp_id: str,
                    presence: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The manual DISCOUNT named by the coupon's code; hidden everywhere when inactive or out of date."""
    data: dict[str, Any] = {"name": coupon.code, "modify_tax_basis": "MODIFY_TAX_BASIS"}
    if coupon.discount_type == "percent":
        if coupon.percent_off is None:
            raise ConnectorError(ErrorKind.PERMANENT, f"coupon {coupon.code} has no percent_off")
        data["discount_type"] = "FIXED_PERCENTAGE"
        data["percentage"] = str(Decimal(coupon.percent_off))
    else:
        if coupon.amount_off is None or not coupon.currency:
            raise ConnectorError(ErrorKind.PERMANENT,
                                 f"coupon {coupon.code} needs amount_off and currency")
        data["discount_type"] = "FIXED_AMOUNT"
        data["amount_money"] = {"amount": decimal_to_minor(coupon.amount_off, coupon.currency),
                                "currency": coupon.currency}
    usable = coupon.active and (coupon.valid_from is None or coupon.valid_from <= now) and (
        coupon.valid_until is None or coupon.valid_until > now)
    if not usable:
        presence = {"present_at_all_locations": False, "present_at_location_ids": []}  # no till shows it
    object_id = existing["id"] if existing else temp_id
    return {"type": "DISCOUNT", "id": object_id, **presence, "discount_data": data}


def _option_price(option: Mapping[str, Any], currency: str) -> tuple[str, str] | None:
    """An option's extra charge as (amount, currency), from a money object or a bare amount."""
    price = option.get("price")
    if price is None:
        return None
    if isinstance(price, Mapping):
        return str(price["amount"]), str(price.get("currency") or currency)
    return str(price), currency


# What Square's schema marks read-only (plus the write bookkeeping): never sent back in an upsert.
_NOT_WRITTEN = {
    "object": {"version", "updated_at", "created_at", "is_deleted"},
    "item_data": {"description_plaintext"},
    "item_variation_data": {"ordinal"},
    "location_override": {"sold_out", "sold_out_valid_until"},
}
# A variation the hub made unavailable: on no till. Square ignores writes to the sold-out flag.
NOWHERE = {"present_at_all_locations": False, "present_at_location_ids": []}


def without_versions(obj: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a catalog object as it may be written back: no version (Square then applies the write
    last-writer-wins, which is what a push means) and none of the fields Square's schema marks read-only."""
    out = copy.deepcopy({k: v for k, v in obj.items() if k not in _NOT_WRITTEN["object"]})
    for key in ("item_data", "item_variation_data"):
        if key in out:
            out[key] = {k: v for k, v in out[key].items() if k not in _NOT_WRITTEN[key]}
    vdata = out.get("item_variation_data") or {}
    if vdata.get("location_overrides"):
        # An override kept with only its location_id still holds what Square keeps there (a sold-out flag).
        unwritten = _NOT_WRITTEN["location_override"]
        vdata["location_overrides"] = [{k: v for k, v in o.items() if k not in unwritten}
                                       for o in vdata["location_overrides"]]
    if (out.get("item_data") or {}).get("variations"):
        out["item_data"]["variations"] = [without_versions(v) for v in out["item_data"]["variations"]]
    return out


def _variation_name(hub_name: str, item_name: str) -> str | None:
    """The variation's part of a hub name "Item (Variation)", as the import writes it; None otherwise."""
    prefix = f"{item_name} ("
    if hub_name.startswith(prefix) and hub_name.endswith(")") and len(hub_name) > len(prefix) + 1:
        return hub_name[len(prefix):-1]
    return None


def _union(first: Mapping[str, Any], second: Mapping[str, Any]) -> dict[str, Any]:
    """Presence at the locations of either (an item is where any of its variations is)."""
    if first.get("present_at_all_locations", True) or second.get("present_at_all_locations", True):
        return {"present_at_all_locations": True}
    ids = dict.fromkeys([*first.get("present_at_location_ids", []),
                         *second.get("present_at_location_ids", [])])
    return {"present_at_all_locations": False, "present_at_location_ids": list(ids)}


class MenuBatch:
    """Builds the catalog objects of one BatchUpsertCatalogObjects request."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.objects: list[dict[str, Any]] = []
        self._new_categories: dict[str, str] = {}  # lower name -> "#" id
        self._new_lists: dict[str, str] = {}
        self._items: dict[str, dict[str, Any]] = {}  # item id -> its one ITEM object in this batch
        self._counter = 0
        self._currency = "USD"  # modifier prices take the currency of the item being added

    def _temp_id(self, prefix: str) -> str:
        self._counter += 1
        return f"#{prefix}-{self._counter}"

    def _category(self, name: str) -> str:
        found = self.catalog.category_id(name)
        if found:
            return found
        key = name.lower()
        if key not in self._new_categories:
            self._new_categories[key] = self._temp_id("category")
            self.objects.append({"type": "CATEGORY", "id": self._new_categories[key],
                                 "category_data": {"name": name}})
        return self._new_categories[key]

    def _modifier_list(self, modifier: Mapping[str, Any]) -> str:
        name = str(modifier.get("name") or "Options")
        key = name.lower()
        if key in self._new_lists:
            return self._new_lists[key]
        existing = self.catalog.modifier_list_named(name)
        list_id = existing["id"] if existing else self._temp_id("modifiers")
        self._new_lists[key] = list_id
        known = {((m.get("modifier_data") or {}).get("name") or "").lower(): m["id"]
                 for m in ((existing or {}).get("modifier_list_data") or {}).get("modifiers") or []}
        modifiers = []
        for option in modifier.get("options") or []:
            oname = str(option.get("name") or "")
            mdata: dict[str, Any] = {"name": oname}
            price = _option_price(option, self._currency)
            if price is not None:
                mdata["price_money"] = {"amount": decimal_to_minor(*price), "currency": price[1]}
            modifiers.append({"type": "MODIFIER", "id": known.get(oname.lower()) or self._temp_id("modifier"),
                              "modifier_data": mdata})
        list_data: dict[str, Any] = {"name": name}
        if modifiers:
            list_data["modifiers"] = modifiers
        self.objects.append({"type": "MODIFIER_LIST", "id": list_id, "modifier_list_data": list_data})
        return list_id

    def add(self, item: MenuItemData, presence: dict[str, Any]) -> None:
        """Put this sku's variation into its ITEM (one object per item in the batch), changing only
        the price, availability, locations and what the hub item says; add categories and modifier
        lists it needs."""
        self._currency = item.currency
        existing_item = self.catalog.items.get(item.sku)
        existing_variation = self.catalog.variations.get(item.sku)
        item_id = existing_item["id"] if existing_item else self._temp_id("item")
        obj = self._items.get(item_id)
        if obj is None:
            obj = without_versions(existing_item or {})
            obj.update({"type": "ITEM", "id": item_id, **presence})
            obj.setdefault("item_data", {}).setdefault("variations", [])
            self._items[item_id] = obj
            self.objects.append(obj)
        else:
            obj.update(_union(obj, presence))
        if obj.get("present_at_all_locations"):
            obj.pop("present_at_location_ids", None)
        data = obj["item_data"]
        variation_name = None
        if len(((existing_item or {}).get("item_data") or {}).get("variations") or []) > 1:
            # One of several variations: the hub calls it "Item (Variation)"; the Square item keeps its name.
            variation_name = _variation_name(item.name, data.get("name", ""))
        else:
            data["name"] = item.name
        variation = self._variation(item, existing_variation, item_id, presence)
        if variation_name:
            variation["item_variation_data"]["name"] = variation_name
        data["variations"] = [v for v in data["variations"] if v["id"] != variation["id"]] + [variation]
        self._describe(data, item)

    def _variation(self, item: MenuItemData, existing: Mapping[str, Any] | None, item_id: str,
                   presence: dict[str, Any]) -> dict[str, Any]:
        """The ITEM_VARIATION with the hub's price and availability, the rest as Square has it."""
        variation = without_versions(existing) if existing else {"id": self._temp_id("variation")}
        for key in ("present_at_all_locations", "present_at_location_ids", "absent_at_location_ids"):
            variation.pop(key, None)
        variation.update({"type": "ITEM_VARIATION", **(presence if item.available else NOWHERE)})
        vdata = variation.setdefault("item_variation_data", {})
        # The hub's price is the price everywhere: per-location prices go, the rest of each override stays.
        overrides = [{k: v for k, v in o.items() if k not in {"price_money", "pricing_type"}}
                     for o in vdata.get("location_overrides") or []]
        vdata.update({
            "item_id": item_id,
            "name": vdata.get("name") or "Regular",
            "pricing_type": "FIXED_PRICING",
            "price_money": {"amount": decimal_to_minor(item.price, item.currency), "currency": item.currency},
        })
        if overrides:
            vdata["location_overrides"] = overrides
        if not (existing and existing["id"] == item.sku):
            vdata["sku"] = item.sku  # a variation matched by its catalog id keeps its own sku (or none)
        return variation

    def _describe(self, data: dict[str, Any], item: MenuItemData) -> None:
        """The item's description, category and modifier lists, where the hub item sets them."""
        if item.description is not None:
            data["description"] = item.description
            data.pop("description_html", None)
        if item.category:
            data["categories"] = [{"id": self._category(item.category)}]
            data.pop("category_id", None)
        if item.modifiers:
            data["modifier_list_info"] = [
                {"modifier_list_id": self._modifier_list(m), "enabled": True,
                 "min_selected_modifiers": 1 if m.get("required") else 0,
                 "max_selected_modifiers": m.get("max_selections") or 0}  # 0: no limit
                for m in item.modifiers]

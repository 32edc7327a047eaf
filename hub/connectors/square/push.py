"""What the hub writes into Square's item library: batch-upsert bodies for menu items and coupons."""

from __future__ import annotations

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


def _without_versions(obj: Mapping[str, Any]) -> dict[str, Any]:
    # Without a version Square applies the write as last-writer-wins, which is what a push means.
    return {k: v for k, v in obj.items() if k not in {"version", "updated_at", "created_at", "is_deleted"}}


class MenuBatch:
    """Builds the catalog objects of one BatchUpsertCatalogObjects request."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.objects: list[dict[str, Any]] = []
        self._new_categories: dict[str, str] = {}  # lower name -> "#" id
        self._new_lists: dict[str, str] = {}
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

    def add(self, item: MenuItemData, presence: dict[str, Any], sold_out_at: list[str] | None) -> None:
        """Add the ITEM (with this sku's variation) and any category or modifier list it needs."""
        self._currency = item.currency
        existing_item = self.catalog.items.get(item.sku)
        existing_variation = self.catalog.variations.get(item.sku)
        item_id = existing_item["id"] if existing_item else self._temp_id("item")
        variation_id = existing_variation["id"] if existing_variation else self._temp_id("variation")

        vdata = dict((existing_variation or {}).get("item_variation_data") or {})
        overrides = []
        for override in vdata.get("location_overrides") or []:
            # The hub's price is the price everywhere: drop per-location prices and sold-out flags.
            kept = {k: v for k, v in override.items() if k not in {"price_money", "pricing_type", "sold_out"}}
            if len(kept) > 1:
                overrides.append(kept)
        for location_id in sold_out_at or []:
            overrides = [o for o in overrides if o.get("location_id") != location_id]
            overrides.append({"location_id": location_id, "sold_out": True})
        vdata.update({
            "item_id": item_id,
            "name": vdata.get("name") or "Regular",
            "pricing_type": "FIXED_PRICING",
            "price_money": {"amount": decimal_to_minor(item.price, item.currency), "currency": item.currency},
            "location_overrides": overrides,
        })
        if not (existing_variation and existing_variation["id"] == item.sku):
            vdata["sku"] = item.sku  # a variation matched by its catalog id keeps its own sku (or none)
        variation = {"type": "ITEM_VARIATION", "id": variation_id, **presence, "item_variation_data": vdata}

        data = dict((existing_item or {}).get("item_data") or {})
        others = [_without_versions(v) for v in data.get("variations") or [] if v["id"] != variation_id]
        data.update({"name": item.name, "variations": [*others, variation]})
        if item.description is not None:
            data["description"] = item.description
            data.pop("description_html", None)
            data.pop("description_plaintext", None)
        if item.category:
            data["categories"] = [{"id": self._category(item.category)}]
            data.pop("category_id", None)
        if item.modifiers:
            data["modifier_list_info"] = [
                {"modifier_list_id": self._modifier_list(m), "enabled": True,
                 "min_selected_modifiers": 1 if m.get("required") else 0,
                 "max_selected_modifiers": m.get("max_selections") or 0}  # 0: no limit
                for m in item.modifiers]
        obj = _without_versions(existing_item or {})
        obj.update({"type": "ITEM", "id": item_id, **presence, "item_data": data})
        if presence.get("present_at_all_locations"):
            obj.pop("present_at_location_ids", None)
        self.objects.append(obj)

"""Square's item library as the hub reads it: hub skus, and an index of the catalog objects."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hub.connectors.square.client import SquareClient

# BatchRetrieveCatalogObjects takes at most this many ids.
_IDS_PER_RETRIEVE = 1000


def hub_sku(variation: Mapping[str, Any]) -> str:
    """The hub sku of a Square ITEM_VARIATION object: its sku, else its catalog id."""
    return (variation.get("item_variation_data") or {}).get("sku") or variation["id"]


def variation_skus(client: SquareClient, object_ids: list[str]) -> dict[str, str]:
    """Hub skus of these variation ids; ids Square no longer knows map to themselves."""
    skus: dict[str, str] = {}
    unique = sorted(set(object_ids))
    for start in range(0, len(unique), _IDS_PER_RETRIEVE):
        chunk = unique[start:start + _IDS_PER_RETRIEVE]
        data = client.call("POST", "/v2/catalog/batch-retrieve",
                           body={"object_ids": chunk, "include_related_objects": False})
        for obj in data.get("objects") or []:
            if obj.get("type") == "ITEM_VARIATION":
                skus[obj["id"]] = hub_sku(obj)
    return {oid: skus.get(oid, oid) for oid in unique}


class Catalog:
    """The parts of a Square catalog that a push or an import needs, indexed."""

    def __init__(self, objects: list[dict[str, Any]]) -> None:
        self.items: dict[str, dict[str, Any]] = {}  # hub sku -> ITEM object
        self.variations: dict[str, dict[str, Any]] = {}  # hub sku -> ITEM_VARIATION object
        self.categories: dict[str, str] = {}  # category id -> name
        self.modifier_lists: dict[str, dict[str, Any]] = {}  # id -> MODIFIER_LIST object
        self.discounts: dict[str, dict[str, Any]] = {}  # name -> DISCOUNT object
        self.product_sets: dict[str, dict[str, Any]] = {}  # name -> PRODUCT_SET object
        self.pricing_rules: dict[str, dict[str, Any]] = {}  # name -> PRICING_RULE object
        self.item_objects: list[dict[str, Any]] = []
        for obj in objects:
            if obj.get("is_deleted"):
                continue
            kind = obj.get("type")
            if kind == "ITEM":
                self.item_objects.append(obj)
                for variation in (obj.get("item_data") or {}).get("variations") or []:
                    self.items[hub_sku(variation)] = obj
                    self.variations[hub_sku(variation)] = variation
                    self.variations.setdefault(variation["id"], variation)
                    self.items.setdefault(variation["id"], obj)
            elif kind == "CATEGORY":
                self.categories[obj["id"]] = (obj.get("category_data") or {}).get("name", "")
            elif kind == "MODIFIER_LIST":
                self.modifier_lists[obj["id"]] = obj
            elif kind == "DISCOUNT":
                self.discounts[(obj.get("discount_data") or {}).get("name", "")] = obj
            elif kind == "PRODUCT_SET":
                self.product_sets[(obj.get("product_set_data") or {}).get("name", "")] = obj
            elif kind == "PRICING_RULE":
                self.pricing_rules[(obj.get("pricing_rule_data") or {}).get("name", "")] = obj

    @classmethod
    def read(cls, client: SquareClient, types: str) -> Catalog:
        """The account's catalog objects of these types (comma-separated), indexed."""
        return cls(list(client.pages("GET", "/v2/catalog/list", "objects", params={"types": types})))

    def category_id(self, name: str) -> str | None:
        """The id of the category with this name (case-insensitive), if any."""
        for cid, cname in self.categories.items():
            if cname.lower() == name.lower():
                return cid
        return None

    def modifier_list_named(self, name: str) -> dict[str, Any] | None:
        """The modifier list with this name (case-insensitive), if any."""
        for obj in self.modifier_lists.values():
            if (obj.get("modifier_list_data") or {}).get("name", "").lower() == name.lower():
                return obj
        return None

    def learn(self, result: Mapping[str, Any]) -> None:
        """Record objects Square created, so the next batch updates them instead of creating twins."""
        for obj in result.get("objects") or []:
            if obj.get("type") == "CATEGORY":
                self.categories[obj["id"]] = (obj.get("category_data") or {}).get("name", "")
            elif obj.get("type") == "MODIFIER_LIST":
                self.modifier_lists[obj["id"]] = obj

    def deletion_ids(self, sku: str) -> list[str]:
        """What to delete to remove this sku: its variation, or its whole item when it is the only one."""
        item = self.items.get(sku)
        if item is None:
            return []  # already gone: removing is idempotent
        variations = (item.get("item_data") or {}).get("variations") or []
        if len(variations) <= 1:
            return [item["id"]]
        return [self.variations[sku]["id"]]  # keep the item's other variations

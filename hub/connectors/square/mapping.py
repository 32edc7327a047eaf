"""Square's objects as the hub's records: location status, stock counts, purchases, imported menu items."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Any

from hub.connectors.base import (
    InventoryCount,
    LocationStatus,
    MenuItemData,
    PurchaseLineRecord,
    PurchaseRecord,
)
from hub.connectors.common.money import minor_to_decimal
from hub.connectors.common.timefmt import parse_rfc3339
from hub.connectors.square.catalog import Catalog, hub_sku


def devices_by_location(devices: list[dict[str, Any]]) -> dict[str, list[str]]:
    """The status categories of the devices signed in at each location."""
    by_location: dict[str, list[str]] = {}
    for device in devices:
        category = (device.get("status") or {}).get("category", "AVAILABLE")
        for component in device.get("components") or []:
            location = (component.get("application_details") or {}).get("session_location")
            if location:
                by_location.setdefault(location, []).append(category)
    return by_location


def location_status(location: Mapping[str, Any], device_categories: list[str] | None) -> LocationStatus:
    """Online: the location is ACTIVE and, when devices are signed in there, one is not OFFLINE."""
    online = location.get("status") == "ACTIVE" and (
        not device_categories or any(c != "OFFLINE" for c in device_categories)
    )
    return LocationStatus(location["id"], location.get("name") or location["id"], online)


def inventory_count(count: Mapping[str, Any], skus: Mapping[str, str]) -> InventoryCount:
    """An IN_STOCK count in whole units (fractions rounded down)."""
    return InventoryCount(
        location_external_id=count["location_id"],
        sku=skus[count["catalog_object_id"]],
        quantity=int(Decimal(count.get("quantity") or "0").to_integral_value(ROUND_FLOOR)),
    )


def payment_state(order: Mapping[str, Any], prepaid_sources: Sequence[str]) -> str:
    """Paid orders from a configured ordering channel are prepaid, other paid ones paid at the POS."""
    # Paid: it has tenders, or it is COMPLETED; an OPEN order without tenders is unpaid.
    paid = bool(order.get("tenders")) or order.get("state") == "COMPLETED"
    if not paid:
        return "unpaid"
    if (order.get("source") or {}).get("name") in prepaid_sources:
        return "prepaid"
    return "paid_at_pos"


def is_final(order: Mapping[str, Any]) -> bool:
    """A purchase is recorded when its order is final: COMPLETED (OPEN may change; CANCELED never sold)."""
    return order.get("state") == "COMPLETED"


def unreadable_reason(order: Any) -> str | None:
    """Why the hub cannot read this order (a field Square always sets is missing or malformed), or None."""
    if not isinstance(order, Mapping):
        return f"an order is a JSON object, not {type(order).__name__}"
    for name in ("id", "updated_at"):
        if not isinstance(order.get(name), str) or not order.get(name):
            return f"the order has no {name}"
    for name in ("updated_at", "closed_at", "created_at"):
        if order.get(name) is not None:
            try:
                parse_rfc3339(order[name])
            except (TypeError, ValueError, AttributeError):
                return f"the order's {name} {order[name]!r} is not an RFC 3339 time"
    return None


def purchase(order: Mapping[str, Any], skus: Mapping[str, str],
             prepaid_sources: Sequence[str]) -> PurchaseRecord:
    """A Square order as a purchase; its lines carry hub skus (ValueError when it cannot be read)."""
    reason = unreadable_reason(order)
    if reason:
        raise ValueError(reason)
    total = order.get("total_money") or {"amount": 0, "currency": "USD"}
    currency = total.get("currency", "USD")
    lines = []
    for li in order.get("line_items") or []:
        line_currency = (li.get("total_money") or {}).get("currency", currency)
        unit_minor = (li.get("base_price_money") or {}).get("amount", 0)
        object_id = li.get("catalog_object_id")
        lines.append(PurchaseLineRecord(
            # Custom-amount lines have no catalog object: they keep an empty sku.
            sku=skus.get(object_id, object_id) if object_id else "",
            quantity=int(Decimal(li.get("quantity") or "1").to_integral_value(ROUND_HALF_UP)),
            unit_price=minor_to_decimal(unit_minor, line_currency),
            line_total=minor_to_decimal((li.get("total_money") or {}).get("amount", 0), line_currency),
            name=" ".join(p for p in (li.get("name"), li.get("variation_name")) if p) or None,
        ))
    # Only catalog discounts count as coupons: ad-hoc discounts typed at the till have no code.
    codes = [d["name"] for d in order.get("discounts") or []
             if d.get("name") and (d.get("catalog_object_id") or d.get("pricing_rule_id"))]
    return PurchaseRecord(
        external_id=order["id"],
        location_external_id=order.get("location_id"),
        occurred_at=parse_rfc3339(order.get("closed_at") or order.get("created_at") or order["updated_at"]),
        lines=lines,
        total=minor_to_decimal(total.get("amount", 0), currency),
        currency=currency,
        payment_state=payment_state(order, prepaid_sources),
        coupon_codes=list(dict.fromkeys(codes)),
        customer_key=order.get("customer_id"),
    )


def menu_items(catalog: Catalog) -> list[MenuItemData]:
    """Every fixed-price variation of every item, as one hub menu item each."""
    menu = []
    for item in catalog.item_objects:
        data = item.get("item_data") or {}
        variations = data.get("variations") or []
        category_ids = [c["id"] for c in data.get("categories") or []] or (
            [data["category_id"]] if data.get("category_id") else [])
        category = next((catalog.categories[c] for c in category_ids if c in catalog.categories), None)
        infos = [info for info in data.get("modifier_list_info") or []
                 if info.get("enabled", True) and info.get("modifier_list_id") in catalog.modifier_lists]
        for variation in variations:
            vdata = variation.get("item_variation_data") or {}
            price = vdata.get("price_money")
            if variation.get("is_deleted") or not price:
                continue  # variable-priced variations have no price to import
            name = data.get("name", "")
            if len(variations) > 1 and vdata.get("name"):
                name = f"{name} ({vdata['name']})"
            # Sold out by the seller or by stock at some location, or taken off every till by the hub.
            sold_out = any(o.get("sold_out") for o in vdata.get("location_overrides") or []) or not (
                variation.get("present_at_all_locations", True) or variation.get("present_at_location_ids"))
            menu.append(MenuItemData(
                sku=hub_sku(variation),
                name=name,
                price=minor_to_decimal(price["amount"], price["currency"]),
                currency=price["currency"],
                description=data.get("description_plaintext") or data.get("description"),
                category=category,
                modifiers=[modifier_payload(catalog.modifier_lists[info["modifier_list_id"]], info,
                                            price["currency"]) for info in infos],
                available=not data.get("is_archived") and not sold_out,
                location_external_ids=None if item.get("present_at_all_locations", True)
                else list(item.get("present_at_location_ids") or []),
            ))
    return menu


def modifier_payload(modifier_list: Mapping[str, Any], info: Mapping[str, Any],
                     currency: str) -> dict[str, Any]:
    """A Square modifier list as the hub's modifier (schemas/common/modifier.json)."""
    data = modifier_list.get("modifier_list_data") or {}
    options = []
    for modifier in data.get("modifiers") or []:
        mdata = modifier.get("modifier_data") or {}
        money = mdata.get("price_money") or {"amount": 0, "currency": currency}
        options.append({"name": mdata.get("name", ""),
                        "price": {"amount": minor_to_decimal(money["amount"], money["currency"]),
                                  "currency": money["currency"]}})
    # The item's override wins; -1 means "as the list says".
    low = info.get("min_selected_modifiers", -1)
    high = info.get("max_selected_modifiers", -1)
    low = data.get("min_selected_modifiers", 0) if low in (None, -1) else low
    high = data.get("max_selected_modifiers", 0) if high in (None, -1) else high
    return {"name": data.get("name", ""), "options": options, "required": (low or 0) > 0,
            "max_selections": high if high and high > 0 else None}

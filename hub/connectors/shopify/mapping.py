"""Shopify's objects as the hub's records: stock levels, purchases, imported menu items."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hub.connectors.base import InventoryCount, MenuItemData, PurchaseLineRecord, PurchaseRecord
from hub.connectors.common.money import with_currency_decimals
from hub.connectors.common.timefmt import parse_rfc3339

_PAID = frozenset({"PAID", "PARTIALLY_REFUNDED", "REFUNDED"})


def location_gid(value: str) -> str:
    """A location id as Shopify's global id; plain numbers (as the admin URL shows) are accepted."""
    return value if value.startswith("gid://") else f"gid://shopify/Location/{value}"


def orders_search(channels: Sequence[str], since: str | None) -> str:
    """The orders search query: these sales channels, updated at or after ``since``."""
    terms = ["(" + " OR ".join(f"channel:{c}" for c in channels) + ")"]
    if since:
        terms.append(f"updated_at:>='{since}'")
    return " ".join(terms)


def inventory_count(location_id: str, level: Mapping[str, Any]) -> InventoryCount | None:
    """The 'available' quantity of a level; None for an item without a variant (it sells nothing)."""
    item = level.get("item") or {}
    sku = item.get("sku") or (item.get("variant") or {}).get("id")
    if not sku:
        return None
    available = next((q["quantity"] for q in level.get("quantities") or []
                      if q.get("name") == "available"), 0)
    return InventoryCount(location_id, sku, int(available))


def is_final(order: Mapping[str, Any]) -> bool:
    """Whether an order is done with at the store: closed, or every item handed over (fulfilled).

    Shopify closes an order once every line item is fulfilled or cancelled and every financial transaction
    is complete; a shop may turn automatic closing off, so a fulfilled order counts too (unpaid when its
    payment is still due). Cancelled orders are never purchases.
    """
    if order.get("cancelledAt"):
        return False
    return bool(order.get("closed")) or order.get("displayFulfillmentStatus") == "FULFILLED"


def read_purchase(order: Any) -> PurchaseRecord:
    """``purchase``, with any record it cannot map reported as a ValueError saying what is wrong."""
    if not isinstance(order, Mapping):
        raise ValueError(f"a Shopify order is an object, not {type(order).__name__}")
    try:
        return purchase(order)
    except KeyError as exc:
        raise ValueError(f"Shopify order {order.get('id')} has no {exc.args[0]}") from exc
    except (TypeError, ValueError, ArithmeticError) as exc:
        raise ValueError(f"Shopify order {order.get('id')} cannot be read: {exc}") from exc


def purchase(order: Mapping[str, Any]) -> PurchaseRecord:
    """A Shopify order as a purchase; POS orders are paid at the POS, other paid ones prepaid."""
    total = (order.get("totalPriceSet") or {}).get("shopMoney") or {"amount": "0", "currencyCode": "USD"}
    currency = total["currencyCode"]
    lines = []
    for li in (order.get("lineItems") or {}).get("nodes") or []:
        unit = (li.get("originalUnitPriceSet") or {}).get("shopMoney") or {"amount": "0"}
        line_total = (li.get("discountedTotalSet") or {}).get("shopMoney") or {"amount": "0"}
        lines.append(PurchaseLineRecord(
            sku=li.get("sku") or (li.get("variant") or {}).get("id") or "",
            quantity=int(li.get("quantity") or 0),
            unit_price=with_currency_decimals(unit["amount"], currency),
            line_total=with_currency_decimals(line_total["amount"], currency),
            name=li.get("name"),
        ))
    channel = ((order.get("channelInformation") or {}).get("channelDefinition") or {}).get("handle")
    if order.get("displayFinancialStatus") not in _PAID:
        payment_state = "unpaid"
    elif (channel or order.get("sourceName")) == "pos":
        payment_state = "paid_at_pos"
    else:
        payment_state = "prepaid"  # paid at an online channel before reaching the store
    return PurchaseRecord(
        external_id=order["id"],
        location_external_id=(order.get("retailLocation") or {}).get("id"),
        occurred_at=parse_rfc3339(order.get("processedAt") or order["createdAt"]),
        lines=lines,
        total=with_currency_decimals(total["amount"], currency),
        currency=currency,
        payment_state=payment_state,
        coupon_codes=list(order.get("discountCodes") or []),
        customer_key=(order.get("customer") or {}).get("id"),
    )


def menu_items(product: Mapping[str, Any], currency: str) -> list[MenuItemData]:
    """Each variant of a product as one hub menu item; archived products give none."""
    if product.get("status") == "ARCHIVED":
        return []
    variants = (product.get("variants") or {}).get("nodes") or []
    items = []
    for variant in variants:
        name = product.get("title", "")
        if len(variants) > 1 and variant.get("title") not in (None, "", "Default Title"):
            name = f"{name} ({variant['title']})"
        items.append(MenuItemData(
            sku=variant.get("sku") or variant["id"],
            name=name,
            price=with_currency_decimals(variant.get("price") or "0", currency),
            currency=currency,
            description=product.get("description") or None,
            category=product.get("productType") or None,
            available=product.get("status") == "ACTIVE",
        ))
    return items

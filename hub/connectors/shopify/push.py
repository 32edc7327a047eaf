"""What the hub writes into a Shopify store: product, variant and code discount inputs."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from hub.connectors.base import ConnectorError, CouponData, ErrorKind, MenuItemData
from hub.connectors.common.timefmt import rfc3339

# The sales channel a product must be published to for the till to show it: its catalog's title
# (Publication.name is deprecated; Shopify points to Catalog.title instead).
POS_PUBLICATION = "Point of Sale"
NO_POS_CHANNEL = (
    "cannot create {sku}: this Shopify store shows the hub's app no Point of Sale sales channel to publish "
    "it to, so the till would never show it; install the Point of Sale channel and grant the app the "
    "read_publications and write_publications scopes"
)
LOCATIONS_UNSUPPORTED = (
    "coupon {code} cannot be applied: it is limited to some locations, but a Shopify discount code is "
    "valid at every location, which would grant more than was asked"
)


def pos_publication(publications: list[dict[str, Any]]) -> str | None:
    """The id of the Point of Sale channel's publication among these, found by its catalog's title."""
    return next((p["id"] for p in publications
                 if ((p.get("catalog") or {}).get("title") or "") == POS_PUBLICATION), None)


def new_product(item: MenuItemData, status: str) -> dict[str, Any]:
    """A productSet input: one product with one default variant carrying the sku and price."""
    product: dict[str, Any] = {
        "title": item.name,
        "status": status,
        "productOptions": [{"name": "Title", "values": [{"name": "Default Title"}]}],
        "variants": [{"optionValues": [{"optionName": "Title", "name": "Default Title"}],
                      "price": item.price, "sku": item.sku}],
    }
    return {**product, **_described(item)}


def product_update(product_id: str, item: MenuItemData, status: str) -> dict[str, Any]:
    """A productUpdate input for the product of a single-variant item."""
    return {"id": product_id, "title": item.name, "status": status, **_described(item)}


def _described(item: MenuItemData) -> dict[str, Any]:
    # Absent fields leave Shopify's values alone; the category is Shopify's product type.
    fields: dict[str, Any] = {}
    if item.description is not None:
        fields["descriptionHtml"] = item.description
    if item.category:
        fields["productType"] = item.category
    return fields


def several_variants(product: dict[str, Any]) -> bool:
    """True when the product has other variants, which one hub item must never rename or remove."""
    return ((product.get("variantsCount") or {}).get("count") or 1) > 1


def discount_value(coupon: CouponData) -> dict[str, Any]:
    """The customerGets.value of a coupon: a fraction for percentages, an amount otherwise."""
    if coupon.discount_type == "percent":
        if coupon.percent_off is None:
            raise ConnectorError(ErrorKind.PERMANENT, f"coupon {coupon.code} has no percent_off")
        # Shopify wants a fraction: 10 % is 0.1.
        return {"percentage": float(Decimal(coupon.percent_off) / 100)}
    if coupon.amount_off is None:
        raise ConnectorError(ErrorKind.PERMANENT, f"coupon {coupon.code} has no amount_off")
    return {"discountAmount": {"amount": coupon.amount_off, "appliesOnEachItem": False}}


def discount_input(coupon: CouponData, value: dict[str, Any], items: dict[str, Any],
                   now: datetime) -> dict[str, Any]:
    """A DiscountCodeBasicInput: the code for all buyers, valid from now unless it says otherwise."""
    return {
        "title": coupon.name,
        "code": coupon.code,
        "startsAt": rfc3339(coupon.valid_from or now),
        "endsAt": rfc3339(coupon.valid_until) if coupon.valid_until else None,
        "context": {"all": "ALL"},
        "customerGets": {"value": value, "items": items},
    }

"""Hub coupons as Square models them: a DISCOUNT, and for a restricted one a PRODUCT_SET and a PRICING_RULE.

A coupon for every item, always valid, is a manual discount named by its code that staff apply at the
till. A coupon restricted to skus or to a validity window needs what Square restricts discounts with:
a pricing rule matching a product set, valid from and until a local date and time. Square applies a
pricing rule by itself to matching items; a coupon Square cannot restrict as asked is refused
("cannot be applied"), never pushed broader.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from hub.connectors.base import ConnectorError, CouponData, ErrorKind
from hub.connectors.square.catalog import Catalog
from hub.connectors.square.push import NOWHERE, discount_object, without_versions
from hub.work.failures import Fault

# CatalogProductSet.product_ids_any takes at most this many ids.
_MAX_PRODUCTS = 500


def cannot_apply(coupon: CouponData, why: str) -> ConnectorError:
    """The permanent refusal of a coupon Square cannot restrict as asked."""
    return ConnectorError(ErrorKind.PERMANENT, f"coupon {coupon.code} cannot be applied in Square: {why}",
                          vendor_code="unsupported", fault=Fault.CONFIGURATION)


def is_over(coupon: CouponData, now: datetime) -> bool:
    """Inactive or expired: hidden from every till, whatever it was restricted to."""
    return not coupon.active or (coupon.valid_until is not None and coupon.valid_until <= now)


def is_restricted(coupon: CouponData) -> bool:
    """Restricted to skus or to a window: only a pricing rule can hold it."""
    return coupon.skus is not None or coupon.valid_from is not None or coupon.valid_until is not None


def needs_time_zone(coupon: CouponData, now: datetime) -> bool:
    """Whether its window must be written in its locations' local time (a live coupon with a window)."""
    return not is_over(coupon, now) and (coupon.valid_from is not None or coupon.valid_until is not None)


def _local(moment: datetime, zone: ZoneInfo) -> tuple[str, str]:
    local = moment.astimezone(zone)
    return local.date().isoformat(), local.strftime("%H:%M:%S")


def coupon_objects(coupon: CouponData, catalog: Catalog, presence: dict[str, Any],
                   zone: ZoneInfo | None, now: datetime) -> list[dict[str, Any]]:
    """The catalog objects of one coupon (see the module notes); ``zone`` is its locations' time zone."""
    key = coupon.code
    discount = discount_object(coupon, catalog.discounts.get(key), f"#coupon-{key}", presence, now)
    rule_before = catalog.pricing_rules.get(key)
    if is_over(coupon, now) or not is_restricted(coupon):
        if rule_before is None:
            return [discount]
        # Over, or once restricted and now not: the old rule must stop applying the discount by itself.
        return [discount, {**without_versions(rule_before), **NOWHERE}]
    # The rule's window decides when it applies, not a re-push: present wherever the coupon is.
    for field in ("present_at_all_locations", "present_at_location_ids"):
        discount.pop(field, None)
    discount.update(presence)
    rule: dict[str, Any] = {"name": key, "discount_id": discount["id"]}
    if coupon.valid_from or coupon.valid_until:
        if zone is None:
            raise cannot_apply(coupon, "its locations are in several time zones, and a Square pricing rule's "
                                       "window is in local time: publish it per time zone")
        for edge, moment in (("from", coupon.valid_from), ("until", coupon.valid_until)):
            if moment is not None:
                rule[f"valid_{edge}_date"], rule[f"valid_{edge}_local_time"] = _local(moment, zone)
    product_set = {"name": f"{key} items", **_products(coupon, catalog)}
    set_before = catalog.product_sets.get(product_set["name"])
    set_obj = {"type": "PRODUCT_SET", "id": set_before["id"] if set_before else f"#coupon-{key}-items",
               **presence, "product_set_data": product_set}
    rule["match_products_id"] = set_obj["id"]
    rule_obj = {"type": "PRICING_RULE", "id": rule_before["id"] if rule_before else f"#coupon-{key}-rule",
                **presence, "pricing_rule_data": rule}
    return [discount, set_obj, rule_obj]


def _products(coupon: CouponData, catalog: Catalog) -> dict[str, Any]:
    if coupon.skus is None:
        return {"all_products": True}
    missing = [sku for sku in coupon.skus if sku not in catalog.variations]
    if missing:
        raise cannot_apply(coupon, f"Square has no item variation with sku {', '.join(missing)} "
                                   "(push the menu first)")
    ids = list(dict.fromkeys(catalog.variations[sku]["id"] for sku in coupon.skus))
    if len(ids) > _MAX_PRODUCTS:
        raise cannot_apply(coupon, f"Square restricts a discount to at most {_MAX_PRODUCTS} items")
    if not ids:
        raise cannot_apply(coupon, "it applies to no item")
    return {"product_ids_any": ids}

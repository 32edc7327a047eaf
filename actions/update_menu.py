"""Update menu: upsert meals (prices, new meals, availability, modifiers) and push what changed."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from actions.base import ActionSpec
from hub.catalog import (
    catalog_currencies,
    empty_as_null,
    items_by_sku,
    unknown_location_errors,
    upsert_menu_items,
    with_currency,
)
from hub.deliveries import create_deliveries, target_connections
from hub.errors import validation_error
from hub.models import ActionRun, Hub


def _error(path: str, message: str) -> dict[str, str]:
    return {"path": path, "message": message}


def _sku_errors(items: list[dict[str, Any]], remove_skus: list[str], existing: dict[str, Any]) -> list[dict]:
    errors = []
    first_at: dict[str, int] = {}
    for i, item in enumerate(items):
        sku = item["sku"]
        if sku in first_at:
            message = f"SKU {sku!r} is listed twice (also as item {first_at[sku]}); send each SKU once."
            errors.append(_error(f"/items/{i}/sku", message))
            continue
        first_at[sku] = i
        if sku not in existing:
            for field, words in (("name", "Name"), ("price", "Price")):
                if field not in item:
                    errors.append(_error(f"/items/{i}/{field}", f"{words} is required for a new meal: SKU "
                                         f"{sku!r} is not in the catalog yet."))
    for j, sku in enumerate(remove_skus):
        if sku in first_at:
            errors.append(_error(f"/remove_skus/{j}", f"SKU {sku!r} is also in the items to update; "
                                 "either update it or remove it."))
    return errors


def _currency_errors(session: Session, hub_id: str, items: list[dict[str, Any]],
                     existing: dict[str, Any]) -> list[dict]:
    """Prices must share one currency with each other, with the rest of the catalog and with modifiers."""
    errors = []
    others = catalog_currencies(session, hub_id, [item["sku"] for item in items])
    expected = next(iter(others)) if len(others) == 1 else None
    why = "the currency of the rest of the catalog"
    for i, item in enumerate(items):
        price = item.get("price")
        if price is None:
            continue
        if expected is None:
            expected, why = price["currency"], f"the currency of item {i}"
        elif price["currency"] != expected:
            errors.append(_error(f"/items/{i}/price/currency", f"Currency must be {expected}, {why}."))
    for i, item in enumerate(items):
        old = existing.get(item["sku"])
        currency = item["price"]["currency"] if "price" in item else (old.currency if old else None)
        for m, modifier in enumerate(item.get("modifiers") or []):
            for o, option in enumerate(modifier["options"]):
                if currency and option["price"]["currency"] != currency:
                    errors.append(_error(f"/items/{i}/modifiers/{m}/options/{o}/price/currency",
                                         f"Currency must be {currency}, the currency of the meal's price."))
    return errors


def run(session: Session, hub_id: str, body: dict[str, Any]) -> ActionRun:
    """Check the request against the catalog, apply it, and create one delivery per target connection."""
    items: list[dict[str, Any]] = body["items"]
    remove_skus: list[str] = body.get("remove_skus", [])
    existing = items_by_sku(session, hub_id, [item["sku"] for item in items])
    # A removed sku still has its name and price, so bringing it back needs neither.
    errors = _sku_errors(items, remove_skus, existing)
    errors += _currency_errors(session, hub_id, items, existing)
    for i, item in enumerate(items):
        errors += unknown_location_errors(session, hub_id, item.get("location_ids"),
                                          f"/items/{i}/location_ids")
    connections, target_errors = target_connections(session, hub_id, body.get("connection_ids"))
    errors += target_errors
    if errors:
        raise validation_error(errors)
    upsert_menu_items(session, hub_id, items, remove_skus)
    action_run = ActionRun(hub_id=hub_id, action="update_menu", input=body)
    session.add(action_run)
    session.flush()
    skus = sorted({item["sku"] for item in items} | set(remove_skus))
    create_deliveries(session, action_run, connections, {"skus": skus})
    return action_run


CLEARABLE = ("description", "category", "image_url")


def prepare(hub: Hub, body: Any) -> Any:
    """Empty descriptions, categories and image URLs mean clear; a price without currency is in the hub's."""
    if not isinstance(body, dict) or not isinstance(body.get("items"), list):
        return body
    items = []
    for item in body["items"]:
        item = empty_as_null(item, CLEARABLE)
        if isinstance(item, dict) and "price" in item:
            item = {**item, "price": with_currency(item["price"], hub.currency)}
        items.append(item)
    return {**body, "items": items}


ACTION = ActionSpec(
    name="update_menu",
    title="Update menu",
    description=("Create or update meals in the catalog (prices, new meals, availability, modifiers) and "
                 "send what changed to every POS, or only to the connections you pick. Meals you list "
                 "under 'SKUs to remove' are taken off the menu everywhere."),
    input_schema="actions/update_menu.input.json",
    output_schema="actions/update_menu.output.json",
    run=run,
    prepare=prepare,
)

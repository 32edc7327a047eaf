"""Publish coupon: create or update a coupon by its code and push it to the POS systems."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.base import ActionSpec
from hub.catalog import (
    catalog_currencies,
    empty_as_null,
    local_time_in_utc,
    parse_time,
    unknown_location_errors,
    upsert_coupon,
    with_currency,
)
from hub.deliveries import create_deliveries, target_connections
from hub.errors import validation_error
from hub.models import ActionRun, Hub, MenuItem


def _error(path: str, message: str) -> dict[str, str]:
    return {"path": path, "message": message}


def _coupon_errors(session: Session, hub_id: str, body: dict[str, Any]) -> list[dict[str, str]]:
    errors = []
    if body["discount_type"] == "percent" and "amount_off" in body:
        errors.append(_error("/amount_off", "Amount off is only for fixed coupons; this one is a percent "
                             "coupon, so leave Amount off empty or set Discount type to \"fixed\"."))
    if body["discount_type"] == "fixed" and "percent_off" in body:
        errors.append(_error("/percent_off", "Percent off is only for percent coupons; this one is a fixed "
                             "coupon, so leave Percent off empty or set Discount type to \"percent\"."))
    start, end = parse_time(body.get("valid_from")), parse_time(body.get("valid_until"))
    if start and end and end <= start:
        errors.append(_error("/valid_until", "Valid until must be later than Valid from."))
    if "amount_off" in body:
        currencies = catalog_currencies(session, hub_id)
        if len(currencies) == 1 and body["amount_off"]["currency"] not in currencies:
            errors.append(_error("/amount_off/currency",
                                 f"Currency must be {next(iter(currencies))}, the currency of the catalog."))
    skus = body.get("skus") or []
    if skus:
        known = set(session.scalars(select(MenuItem.sku).where(
            MenuItem.hub_id == hub_id, MenuItem.sku.in_(skus), MenuItem.deleted_at.is_(None))))
        errors += [_error(f"/skus/{i}", f"There is no meal with SKU {sku!r} in the catalog; pick one from "
                          "the list of menu items (GET /v1/menu-items).")
                   for i, sku in enumerate(skus) if sku not in known]
    errors += unknown_location_errors(session, hub_id, body.get("location_ids"), "/location_ids")
    return errors


def run(session: Session, hub_id: str, body: dict[str, Any]) -> ActionRun:
    """Check the coupon, save it, and create one delivery per target connection."""
    errors = _coupon_errors(session, hub_id, body)
    connections, target_errors = target_connections(session, hub_id, body.get("connection_ids"))
    errors += target_errors
    if errors:
        raise validation_error(errors)
    coupon = upsert_coupon(session, hub_id, body)
    action_run = ActionRun(hub_id=hub_id, action="publish_coupon", input=body)
    session.add(action_run)
    session.flush()
    create_deliveries(session, action_run, connections, {"coupon_codes": [coupon.code]})
    return action_run


def prepare(hub: Hub, body: Any) -> Any:
    """Empty validity times mean none; times without offset are in the hub's time zone; an amount off
    without currency is in the hub's currency."""
    body = empty_as_null(body, ("valid_from", "valid_until"))
    if not isinstance(body, dict):
        return body
    body = {k: local_time_in_utc(v, hub.timezone) if k in ("valid_from", "valid_until") else v
            for k, v in body.items()}
    if "amount_off" in body:
        body["amount_off"] = with_currency(body["amount_off"], hub.currency)
    return body


ACTION = ActionSpec(
    name="publish_coupon",
    title="Publish coupon",
    description=("Create a coupon, or update the one with this code, and send it to every POS or only to "
                 "the connections you pick. A percent coupon needs Percent off; a fixed coupon needs "
                 "Amount off. Set Active to false to switch a coupon off everywhere."),
    input_schema="actions/publish_coupon.input.json",
    output_schema="actions/publish_coupon.output.json",
    run=run,
    prepare=prepare,
)

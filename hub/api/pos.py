"""The POS endpoints (key scope pos, bound to one connection): purchases, inventory, heartbeat, menu, coupons.

Every call counts as contact from the POS (it is online).
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Any

from flask import Blueprint, Response, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.auth import current_principal
from hub.catalog import coupons_for_connection, menu_for_connection, parse_time
from hub.connectors.base import PurchaseLineRecord, PurchaseRecord
from hub.endpoints import POS, Endpoint
from hub.errors import not_found, validation_error
from hub.idempotency import idempotent, json_response
from hub.inventory import CountUpdate, apply_counts
from hub.models import Connection, Location, utcnow
from hub.presence import record_contact, report_location
from hub.purchases import UnknownLocation, record_purchases
from hub.refs import iso, locations_by_external_id
from hub.requests_json import json_body, validated_body
from hub.runtime import get_runtime
from hub.schemas import schema, validate

blueprint = Blueprint("pos", __name__)

# Amounts have at most 12 digits before the decimal point, in the input and in the trigger's output.
AMOUNT_LIMIT = Decimal(10) ** 12


def _connection(session: Session) -> Connection:
    principal = current_principal()
    connection = session.get(Connection, principal.connection_id) if principal.connection_id else None
    if connection is None or connection.hub_id != principal.hub_id:
        raise not_found("connection")
    return connection


def _connection_and_locations(session: Session) -> tuple[Connection, dict[str, Location]]:
    """The key's connection and its locations by POS id, in one query (one round trip)."""
    principal = current_principal()
    rows = session.execute(
        select(Connection, Location).outerjoin(Location, Location.connection_id == Connection.id)
        .where(Connection.id == principal.connection_id, Connection.hub_id == principal.hub_id)
    ).all() if principal.connection_id else []
    if not rows:
        raise not_found("connection")
    return rows[0][0], {location.external_id: location for _, location in rows if location is not None}


def _note_contact_despite_error() -> None:
    """A rejected call still shows the POS is alive; recorded in its own transaction."""
    with get_runtime().db.session() as session:
        record_contact(session, _connection(session))


def _amount_errors(items: list[dict[str, Any]], batch: bool) -> list[dict[str, str]]:
    """Lines whose quantity times unit price, or whose computed total, is too large to be an amount."""
    errors = []
    for index, item in enumerate(items):
        prefix = f"/purchases/{index}" if batch else ""
        totals = [Decimal(line["unit_price"]) * line["quantity"] for line in item["lines"]]
        too_large = [{"path": f"{prefix}/lines/{number}/quantity",
                      "message": f"Quantity times unit price is {total}, more than an amount can be (at "
                                 "most 12 digits before the decimal point)."}
                     for number, total in enumerate(totals) if abs(total) >= AMOUNT_LIMIT]
        if not too_large and "total" not in item and abs(sum(totals)) >= AMOUNT_LIMIT:
            too_large.append({"path": f"{prefix}/lines",
                              "message": "The lines add up to more than an amount can be (at most 12 digits "
                                         "before the decimal point); send the total."})
        errors += too_large
    return errors


def _purchase_record(item: dict[str, Any]) -> PurchaseRecord:
    lines = [PurchaseLineRecord(sku=line["sku"], quantity=line["quantity"], unit_price=line["unit_price"],
                                line_total=format(Decimal(line["unit_price"]) * line["quantity"], "f"),
                                name=line.get("name"))
             for line in item["lines"]]
    return PurchaseRecord(
        external_id=item["external_id"], location_external_id=item.get("location_external_id"),
        occurred_at=parse_time(item["occurred_at"]), lines=lines, total=item.get("total"),
        currency=item["currency"], payment_state=item.get("payment_state", "paid_at_pos"),
        coupon_codes=list(item.get("coupon_codes", [])), customer_key=item.get("customer_key"),
        order_id=item.get("order_id"),
    )


@blueprint.post("/v1/pos/purchases")
@Endpoint(
    operation_id="report_purchases", summary="Report purchases", tag="POS", scopes=POS,
    description=schema("pos/purchases.input.json")["description"], request="pos/purchases.input.json",
    response="pos/purchases.output.json", idempotent=True, response_description="What was recorded.",
)
def post_purchases() -> Response:
    """Record one purchase or a batch, once per POS purchase id; stock and events follow."""
    body = validated_body("pos/purchases.input.json")
    batch = "purchases" in body
    items = body["purchases"] if batch else [body]
    if errors := _amount_errors(items, batch):
        raise validation_error(errors)
    records = [_purchase_record(item) for item in items]
    try:
        with get_runtime().db.session() as session:
            connection, locations = _connection_and_locations(session)

            def produce() -> tuple[int, dict[str, Any]]:
                results = record_purchases(session, connection, records, locations=locations)
                record_contact(session, connection)
                created = sum(1 for r in results if not r.duplicate)
                return 200, {
                    "received": len(results), "created": created, "duplicates": len(results) - created,
                    "purchases": [{"external_id": r.external_id, "purchase_id": r.purchase_id,
                                   "duplicate": r.duplicate} for r in results],
                }

            return idempotent(session, connection.hub_id, produce)
    except UnknownLocation as exc:
        _note_contact_despite_error()
        path = f"/purchases/{exc.index}/location_external_id" if batch else "/location_external_id"
        raise validation_error([{"path": path, "message": str(exc)}]) from None


@blueprint.put("/v1/pos/inventory")
@Endpoint(
    operation_id="report_inventory", summary="Report stock counts", tag="POS", scopes=POS,
    description=schema("pos/inventory.input.json")["description"], request="pos/inventory.input.json",
    response="pos/inventory.output.json", response_description="What was stored.",
)
def put_inventory() -> Response:
    """Absolute stock counts per location and sku; low_stock fires on a crossing."""
    body = validated_body("pos/inventory.input.json")
    with get_runtime().db.session() as session:
        connection = _connection(session)
        locations = locations_by_external_id(session, connection.id)
        errors = [{"path": f"/counts/{i}/location_external_id",
                   "message": f"unknown location_external_id {count['location_external_id']!r}; this "
                              f"connection's locations: {', '.join(sorted(locations)) or 'none'}"}
                  for i, count in enumerate(body["counts"]) if count["location_external_id"] not in locations]
        if not errors:
            updates = [CountUpdate(locations[c["location_external_id"]], c["sku"], c["quantity"],
                                   c.get("low_stock_threshold")) for c in body["counts"]]
            fired = apply_counts(session, connection, updates)
            record_contact(session, connection)
            return json_response(200, {"updated": len(updates), "low_stock_events": fired})
    _note_contact_despite_error()
    raise validation_error(errors)


@blueprint.post("/v1/pos/heartbeat")
@Endpoint(
    operation_id="heartbeat", summary="Send a heartbeat", tag="POS", scopes=POS,
    description=schema("pos/heartbeat.input.json")["description"], request="pos/heartbeat.input.json",
    request_optional=True, response="pos/heartbeat.output.json",
)
def post_heartbeat() -> Response:
    """A sign of life, optionally with each location's status (unknown locations are added)."""
    raw = request.get_data(cache=True)
    body = json_body() if raw.strip() else {}
    errors = validate("pos/heartbeat.input.json", body)
    if errors:
        raise validation_error(errors)
    with get_runtime().db.session() as session:
        connection = _connection(session)

        def produce() -> tuple[int, dict[str, Any]]:
            now = utcnow()
            reported = body.get("locations", [])
            if reported:
                known = locations_by_external_id(session, connection.id)
                for entry in reported:
                    location = known.get(entry["external_id"])
                    if location is None:
                        location = Location(hub_id=connection.hub_id, connection_id=connection.id,
                                            external_id=entry["external_id"],
                                            name=entry.get("name") or entry["external_id"])
                        session.add(location)
                        session.flush()
                        known[location.external_id] = location
                    online = entry.get("status", "online") == "online"
                    report_location(session, connection, location, online, now)
            record_contact(session, connection, now)
            return 200, {"connection_id": connection.id, "status": "online", "received_at": iso(now)}

        return idempotent(session, connection.hub_id, produce)


def _with_etag(body: dict[str, Any], prefix: str) -> Response:
    """The body with a strong ETag from its hash; 304 when If-None-Match already has it."""
    digest = hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    tag = f"{prefix}-{digest[:32]}"
    if request.if_none_match.contains(tag) or request.if_none_match.star_tag:
        response = Response(status=304)
    else:
        response = json_response(200, {**body, "etag": f'"{tag}"'})
    response.set_etag(tag)
    response.headers["Cache-Control"] = "no-cache"
    return response


@blueprint.get("/v1/pos/menu")
@Endpoint(
    operation_id="pos_menu", summary="Fetch the menu", tag="POS", scopes=POS,
    description=schema("pos/menu.output.json")["description"], response="pos/menu.output.json", etag=True,
)
def get_menu() -> Response:
    """The menu for this connection's locations, with an ETag."""
    with get_runtime().db.session() as session:
        connection = _connection(session)
        items = menu_for_connection(session, connection)
        record_contact(session, connection)
    return _with_etag({"connection_id": connection.id, "items": items}, "m")


@blueprint.get("/v1/pos/coupons")
@Endpoint(
    operation_id="pos_coupons", summary="Fetch the coupons", tag="POS", scopes=POS,
    description=schema("pos/coupons.output.json")["description"], response="pos/coupons.output.json",
    etag=True,
)
def get_coupons() -> Response:
    """The coupons for this connection's locations, with an ETag."""
    with get_runtime().db.session() as session:
        connection = _connection(session)
        coupons = coupons_for_connection(session, connection)
        record_contact(session, connection)
    return _with_etag({"connection_id": connection.id, "coupons": coupons}, "c")

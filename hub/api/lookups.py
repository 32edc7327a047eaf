"""Lookups for dropdowns: GET /v1/locations, /v1/connections, /v1/menu-items, /v1/coupons.

Each answers an array sorted by name, with an id and a human name per item; `q` keeps the
items whose name (or sku / code) contains it, ignoring case. Pages are keyset-paged on
(lower(name), id): while more items follow, the answer carries X-Next-Cursor (and a Link with
rel="next"), an opaque cursor of the page's last item, so inserts never shift or repeat a page.
"""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, g, jsonify, request
from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session

from hub.api.triggers import LIMIT_PARAM, check_known_params, limit_param, text_filters
from hub.auth import current_principal
from hub.connectors import connector_class
from hub.endpoints import AUTOMATION, Endpoint
from hub.errors import ProblemError, validation_error
from hub.models import Connection, Coupon, Location, MenuItem
from hub.refs import iso
from hub.runtime import get_runtime

blueprint = Blueprint("lookups", __name__)

Q_MAX_LENGTH = 200  # the q parameter's maxLength in /openapi.json


def search_text() -> str:
    """The q parameter, trimmed and lowercased ("" when absent); 422 on /q when longer than allowed."""
    q = request.args.get("q", "")
    if len(q) > Q_MAX_LENGTH:
        message = f"'q' must have at most {Q_MAX_LENGTH} characters."
        raise validation_error([{"path": "/q", "message": message}])
    return q.strip().lower()


def _search(columns: list[Any]) -> ColumnElement[bool] | None:
    """Case-insensitive 'contains q' over the columns, or None without q."""
    q = search_text()
    if not q:
        return None
    return or_(*(func.lower(column).contains(q, autoescape=True) for column in columns))


CURSOR_MAX_LENGTH = 1000  # the cursor parameter's maxLength in /openapi.json


def _bad_cursor() -> ProblemError:
    message = "'cursor' is not a cursor of this list: pass the X-Next-Cursor of the previous page unchanged."
    return validation_error([{"path": "/cursor", "message": message}])


def encode_cursor(sort_key: str, row_id: str) -> str:
    """An opaque cursor after the item with this sort key (lower(name)) and id."""
    raw = json.dumps([sort_key, row_id], separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, str]:
    """The (sort key, id) of a cursor; 422 on /cursor for anything else."""
    if len(cursor) > CURSOR_MAX_LENGTH:
        raise _bad_cursor()
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode())
    except (ValueError, UnicodeDecodeError):
        raise _bad_cursor() from None
    if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value)):
        raise _bad_cursor()
    return value[0], value[1]


def _paged(session: Session, query: Select, model: Any, search_columns: list[Any]) -> list[Any]:
    """One page of the query's rows ordered by (lower(name), id); sets the next page's cursor, if any."""
    sort_key = func.lower(model.name)
    condition = _search(search_columns)
    if condition is not None:
        query = query.where(condition)
    cursor = request.args.get("cursor")
    if cursor is not None:
        after_key, after_id = decode_cursor(cursor)
        query = query.where(or_(sort_key > after_key, and_(sort_key == after_key, model.id > after_id)))
    limit = limit_param()
    rows = session.execute(query.add_columns(sort_key).order_by(sort_key, model.id).limit(limit + 1)).all()
    page = rows[:limit]
    if len(rows) > limit:
        g.next_cursor = encode_cursor(page[-1][1], page[-1][0].id)
    return [row[0] for row in page]


def _answer(items: list[dict[str, Any]]) -> Response:
    """The page as a JSON array, with X-Next-Cursor and Link while more follow."""
    response = jsonify(items)
    cursor = g.pop("next_cursor", None)
    if cursor is not None:
        args = [(k, v) for k, v in request.args.items(multi=True) if k != "cursor"] + [("cursor", cursor)]
        response.headers["X-Next-Cursor"] = cursor
        response.headers["Link"] = f'<{request.base_url}?{urlencode(args)}>; rel="next"'
    return response


def location_choice(location: Location) -> dict[str, Any]:
    """A location as a dropdown choice."""
    return {"id": location.id, "name": location.name, "connection_id": location.connection_id,
            "external_id": location.external_id, "status": location.status,
            "last_contact_at": iso(location.last_contact_at)}


def connection_choice(connection: Connection) -> dict[str, Any]:
    """A connection as a dropdown choice; simulated (sandbox) ones say so in their name."""
    cls = connector_class(connection.type)
    simulated = bool(cls and cls.simulated)
    # A name that says so already (the demo's "… (simulated)") is not marked twice.
    marked = simulated and "(simulated)" not in connection.name.lower()
    return {"id": connection.id, "name": f"{connection.name} (simulated)" if marked else connection.name,
            "type": connection.type, "status": connection.status,
            "last_contact_at": iso(connection.last_contact_at), "health": connection.health,
            "simulated": simulated}


def menu_item_choice(item: MenuItem) -> dict[str, Any]:
    """A catalog menu item as a dropdown choice (the full menu item shape)."""
    return {"id": item.id, "sku": item.sku, "name": item.name, "description": item.description,
            "category": item.category, "price": {"amount": item.price_amount, "currency": item.currency},
            "modifiers": item.modifiers or [], "available": item.available, "image_url": item.image_url,
            "location_ids": item.location_ids, "updated_at": iso(item.updated_at)}


def coupon_choice(coupon: Coupon) -> dict[str, Any]:
    """A catalog coupon as a dropdown choice; its name falls back to its code."""
    amount_off = ({"amount": coupon.amount_off, "currency": coupon.currency}
                  if coupon.amount_off is not None and coupon.currency else None)
    return {"id": coupon.id, "code": coupon.code, "name": coupon.name or coupon.code,
            "discount_type": coupon.discount_type, "percent_off": coupon.percent_off,
            "amount_off": amount_off, "valid_from": iso(coupon.valid_from),
            "valid_until": iso(coupon.valid_until), "skus": coupon.skus, "location_ids": coupon.location_ids,
            "active": coupon.active, "updated_at": iso(coupon.updated_at)}


def _lookup(operation_id: str, summary: str, description: str, response: str,
            params: tuple[tuple[str, str, str], ...] = ()) -> Endpoint:
    """The contract of a dropdown lookup: a list, searchable with q, capped by limit."""
    return Endpoint(operation_id=operation_id, summary=summary, description=description, tag="Lookups",
                    scopes=AUTOMATION, response=response, response_is_list=True, lookup=True, paged=True,
                    params=(*params, LIMIT_PARAM), errors=(422,))


@blueprint.get("/v1/locations")
@_lookup("list_locations", "List locations", "The hub's locations, for dropdowns.", "lookups/location.json",
         params=(("connection_id", "lookups/location.json#/properties/connection_id",
                  "Only the locations of this POS connection (the hub's id of the connection)."),))
def locations() -> Response:
    """The hub's locations; connection_id narrows them to one POS connection."""
    check_known_params(("q", "limit", "cursor", "connection_id"))
    query = select(Location).where(Location.hub_id == current_principal().hub_id)
    if connection_id := text_filters(("connection_id",)).get("connection_id"):
        query = query.where(Location.connection_id == connection_id)
    with get_runtime().db.session() as session:
        rows = _paged(session, query, Location, [Location.name, Location.external_id])
        return _answer([location_choice(row) for row in rows])


@blueprint.get("/v1/connections")
@_lookup("list_connections", "List POS connections", "The hub's POS connections, for dropdowns.",
         "lookups/connection.json")
def connections() -> Response:
    """The hub's POS connections."""
    check_known_params(("q", "limit", "cursor"))
    query = select(Connection).where(Connection.hub_id == current_principal().hub_id)
    with get_runtime().db.session() as session:
        rows = _paged(session, query, Connection, [Connection.name])
        return _answer([connection_choice(row) for row in rows])


@blueprint.get("/v1/menu-items")
@_lookup("list_menu_items", "List menu items", "The catalog's menu items, for dropdowns.",
         "lookups/menu_item.json")
def menu_items() -> Response:
    """The catalog's menu items (deleted ones left out); q searches name and sku."""
    check_known_params(("q", "limit", "cursor"))
    query = select(MenuItem).where(MenuItem.hub_id == current_principal().hub_id,
                                   MenuItem.deleted_at.is_(None))
    with get_runtime().db.session() as session:
        rows = _paged(session, query, MenuItem, [MenuItem.name, MenuItem.sku])
        return _answer([menu_item_choice(row) for row in rows])


@blueprint.get("/v1/coupons")
@_lookup("list_coupons", "List coupons", "The catalog's coupons, for dropdowns.", "lookups/coupon.json")
def coupons() -> Response:
    """The catalog's coupons; q searches name and code."""
    check_known_params(("q", "limit", "cursor"))
    query = select(Coupon).where(Coupon.hub_id == current_principal().hub_id)
    with get_runtime().db.session() as session:
        rows = _paged(session, query, Coupon, [Coupon.name, Coupon.code])
        return _answer([coupon_choice(row) for row in rows])

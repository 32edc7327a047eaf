"""Lookups for dropdowns: GET /v1/locations, /v1/connections, /v1/menu-items, /v1/coupons.

Each answers an array sorted by name, with an id and a human name per item; `q` keeps the
items whose name (or sku / code) contains it, ignoring case.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request
from sqlalchemy import ColumnElement, Select, func, or_, select

from hub.api.triggers import LIMIT_PARAM, check_known_params, limit_param, text_filters
from hub.auth import current_principal
from hub.connectors import connector_class
from hub.endpoints import AUTOMATION, Endpoint
from hub.errors import validation_error
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


def _page(query: Select, search_columns: list[Any], order_by: Any) -> Select:
    condition = _search(search_columns)
    if condition is not None:
        query = query.where(condition)
    return query.order_by(func.lower(order_by), order_by).limit(limit_param())


def location_choice(location: Location) -> dict[str, Any]:
    """A location as a dropdown choice."""
    return {"id": location.id, "name": location.name, "connection_id": location.connection_id,
            "external_id": location.external_id, "status": location.status,
            "last_contact_at": iso(location.last_contact_at)}


def connection_choice(connection: Connection) -> dict[str, Any]:
    """A connection as a dropdown choice; simulated (sandbox) ones say so in their name."""
    cls = connector_class(connection.type)
    simulated = bool(cls and cls.simulated)
    return {"id": connection.id, "name": f"{connection.name} (simulated)" if simulated else connection.name,
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
                    scopes=AUTOMATION, response=response, response_is_list=True, lookup=True,
                    params=(*params, LIMIT_PARAM), errors=(422,))


@blueprint.get("/v1/locations")
@_lookup("list_locations", "List locations", "The hub's locations, for dropdowns.", "lookups/location.json",
         params=(("connection_id", "lookups/location.json#/properties/connection_id",
                  "Only the locations of this POS connection (the hub's id of the connection)."),))
def locations() -> Response:
    """The hub's locations; connection_id narrows them to one POS connection."""
    check_known_params(("q", "limit", "connection_id"))
    query = select(Location).where(Location.hub_id == current_principal().hub_id)
    if connection_id := text_filters(("connection_id",)).get("connection_id"):
        query = query.where(Location.connection_id == connection_id)
    with get_runtime().db.session() as session:
        rows = session.scalars(_page(query, [Location.name, Location.external_id], Location.name)).all()
        return jsonify([location_choice(row) for row in rows])


@blueprint.get("/v1/connections")
@_lookup("list_connections", "List POS connections", "The hub's POS connections, for dropdowns.",
         "lookups/connection.json")
def connections() -> Response:
    """The hub's POS connections."""
    check_known_params(("q", "limit"))
    query = select(Connection).where(Connection.hub_id == current_principal().hub_id)
    with get_runtime().db.session() as session:
        rows = session.scalars(_page(query, [Connection.name], Connection.name)).all()
        return jsonify([connection_choice(row) for row in rows])


@blueprint.get("/v1/menu-items")
@_lookup("list_menu_items", "List menu items", "The catalog's menu items, for dropdowns.",
         "lookups/menu_item.json")
def menu_items() -> Response:
    """The catalog's menu items (deleted ones left out); q searches name and sku."""
    check_known_params(("q", "limit"))
    query = select(MenuItem).where(MenuItem.hub_id == current_principal().hub_id,
                                   MenuItem.deleted_at.is_(None))
    with get_runtime().db.session() as session:
        rows = session.scalars(_page(query, [MenuItem.name, MenuItem.sku], MenuItem.name)).all()
        return jsonify([menu_item_choice(row) for row in rows])


@blueprint.get("/v1/coupons")
@_lookup("list_coupons", "List coupons", "The catalog's coupons, for dropdowns.", "lookups/coupon.json")
def coupons() -> Response:
    """The catalog's coupons; q searches name and code."""
    check_known_params(("q", "limit"))
    query = select(Coupon).where(Coupon.hub_id == current_principal().hub_id)
    with get_runtime().db.session() as session:
        rows = session.scalars(_page(query, [Coupon.name, Coupon.code], Coupon.name)).all()
        return jsonify([coupon_choice(row) for row in rows])

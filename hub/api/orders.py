"""Orders: GET /v1/orders/<id>, the Find Order lookup GET /v1/orders, and POST /v1/orders/<id>/retry.

The lookup answers order choices (schemas/lookups/order.json: an id, a human name and a few fields),
like the other lookups; GET /v1/orders/<id> answers the whole order.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, Response, g, request
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from hub.api.lookups import _answer, decode_cursor, encode_cursor, search_text
from hub.api.triggers import LIMIT_PARAM, check_known_params, limit_param, text_filters
from hub.auth import current_principal
from hub.endpoints import AUTOMATION, Endpoint
from hub.errors import ProblemError, not_found, validation_error
from hub.idempotency import idempotent, json_response
from hub.models import Location, Order
from hub.orders.delivery import redrive
from hub.orders.service import STATUSES, order_payload
from hub.refs import iso
from hub.runtime import get_runtime

blueprint = Blueprint("orders", __name__)

_ORDER_ID = (("id", "The order's id, e.g. ord_5c6d7e8f9a0b1c2d."),)
_FILTERS = ("channel_order_id", "status", "location_id")


def _order(session: Session, hub_id: str, order_id: str) -> Order:
    order = session.scalar(select(Order).where(Order.id == order_id, Order.hub_id == hub_id))
    if order is None:
        raise not_found("order")
    return order


def order_choice(order: Order, location_name: str | None) -> dict[str, Any]:
    """An order as a Find Order / dropdown choice, named e.g. "WEB-1042 · Kiosk Mitte · accepted"."""
    name = " · ".join(part for part in (order.channel_order_id, location_name, order.status) if part)
    return {"id": order.id, "name": name, "channel_order_id": order.channel_order_id, "status": order.status,
            "location_id": order.location_id, "connection_id": order.connection_id,
            "pos_order_id": order.pos_order_id, "total": order.total_amount, "currency": order.currency,
            "created_at": iso(order.created_at)}


@blueprint.get("/v1/orders/<id>")
@Endpoint(
    operation_id="get_order", summary="Get an order", tag="Orders", scopes=AUTOMATION,
    description="An order with its status, its history and its latest delivery to the POS.",
    response="common/order.json", path_params=_ORDER_ID, errors=(404,),
)
def get_order(id: str) -> Response:
    """The order as schemas/common/order.json; 404 for an id that is not this hub's."""
    hub_id = current_principal().hub_id
    with get_runtime().db.session() as session:
        return json_response(200, order_payload(session, _order(session, hub_id, id)))


def _bad_cursor() -> ProblemError:
    return ProblemError(422, "'cursor' is not a cursor of this list: pass the X-Next-Cursor of the previous "
                        "page unchanged.",
                        errors=[{"path": "/cursor", "message": "not a cursor of this list"}])


@blueprint.get("/v1/orders")
@Endpoint(
    operation_id="list_orders", summary="Find orders", tag="Lookups", scopes=AUTOMATION,
    description="The hub's orders, newest first, for Find Order and dropdowns; q searches the channel order "
    "id, the POS order id and the customer key. Get an order gives the whole order.",
    response="lookups/order.json", response_is_list=True, lookup=True, paged=True, errors=(422,),
    params=(("channel_order_id", "lookups/order.json#/properties/channel_order_id",
             "Only the order with this channel order id."),
            ("status", "lookups/order.json#/properties/status", "Only orders in this status."),
            ("location_id", "common/location_ref.json#/properties/id", "Only orders of this location."),
            LIMIT_PARAM),
)
def list_orders() -> Response:
    """A page of the hub's orders, newest first, keyset-paged on (created_at, id)."""
    check_known_params(("q", "limit", "cursor", *_FILTERS))
    filters = text_filters(_FILTERS)
    if filters.get("status", STATUSES[0]) not in STATUSES:
        raise validation_error([{"path": "/status", "message": "'status' must be one of "
                                 f"{', '.join(STATUSES)}."}])
    query = select(Order).where(Order.hub_id == current_principal().hub_id)
    for name, value in filters.items():
        query = query.where(getattr(Order, name) == value)
    if q := search_text():
        searched = (Order.channel_order_id, Order.pos_order_id, Order.customer_key)
        query = query.where(or_(*(func.lower(column).contains(q, autoescape=True) for column in searched)))
    if (cursor := request.args.get("cursor")) is not None:
        after_at, after_id = decode_cursor(cursor)
        try:
            after = datetime.fromisoformat(after_at)
        except ValueError:
            raise _bad_cursor() from None
        query = query.where(or_(Order.created_at < after,
                                and_(Order.created_at == after, Order.id < after_id)))
    limit = limit_param()
    with get_runtime().db.session() as session:
        query = query.order_by(Order.created_at.desc(), Order.id.desc()).limit(limit + 1)
        rows = list(session.scalars(query))
        page = rows[:limit]
        if len(rows) > limit:
            g.next_cursor = encode_cursor(page[-1].created_at.isoformat(), page[-1].id)
        location_ids = {order.location_id for order in page}
        names = {location_id: name for location_id, name in session.execute(
            select(Location.id, Location.name).where(Location.id.in_(location_ids)))}
        return _answer([order_choice(order, names.get(order.location_id)) for order in page])


@blueprint.post("/v1/orders/<id>/retry")
@Endpoint(
    operation_id="retry_order", summary="Retry an order's delivery", tag="Orders", scopes=AUTOMATION,
    description="Sends the order's dead delivery to the POS again, with fresh retries.", status=202,
    response="common/order.json", path_params=_ORDER_ID, idempotent=True, errors=(404,),
    response_description="The order, its delivery retrying.",
)
def retry_order(id: str) -> Response:
    """Re-drive the order's dead deliveries (202 with the order)."""
    hub_id = current_principal().hub_id
    with get_runtime().db.session() as session:
        def produce() -> tuple[int, dict]:
            order = _order(session, hub_id, id)
            redrive(session, order)
            return 202, order_payload(session, order)

        return idempotent(session, hub_id, produce)

"""The push POS's orders (key scope pos, bound to one connection): the feed and the statuses it posts.

GET /v1/pos/orders pages the connection's orders by their feed position: every change of an
order (created, updated, a status, cancelled) moves it to the end of the feed, so a POS that
keeps the cursor sees each order again whenever it changed. POST /v1/pos/orders/<id>/status
applies the POS's decision with the hub's status rule. Every call counts as contact from the POS.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, request
from sqlalchemy import select

from hub.api.pos import _connection
from hub.api.triggers import LIMIT_PARAM, check_known_params, limit_param
from hub.endpoints import POS, Endpoint
from hub.errors import ProblemError, not_found, validation_error
from hub.idempotency import idempotent, json_response
from hub.models import Order
from hub.orders.service import apply_status, can_move, order_payload
from hub.presence import record_contact
from hub.requests_json import validated_body
from hub.runtime import get_runtime
from hub.schemas import schema

blueprint = Blueprint("pos_orders", __name__)

CURSOR_DIGITS = 19  # a feed position is a BIGINT


def _feed_position() -> int | None:
    """The cursor parameter as a feed position (None: from the start); 422 on /cursor otherwise."""
    cursor = request.args.get("cursor")
    if cursor is None:
        return None
    if not cursor.isascii() or not cursor.isdigit() or len(cursor) > CURSOR_DIGITS:
        message = "'cursor' is not a cursor of this feed: pass the cursor of the previous answer unchanged."
        raise validation_error([{"path": "/cursor", "message": message}])
    return int(cursor)


@blueprint.get("/v1/pos/orders")
@Endpoint(
    operation_id="pos_orders", summary="Fetch new and changed orders", tag="POS", scopes=POS,
    description=schema("pos/orders.output.json")["description"], response="pos/orders.output.json",
    params=(("cursor", "pos/orders.output.json#/properties/cursor", "Where the feed starts: the cursor "
             "of the previous answer (its X-Next-Cursor while more follow); leave it out the first time."),
            LIMIT_PARAM),
    errors=(422,),
)
def get_orders() -> Response:
    """The connection's orders changed after the cursor, oldest change first."""
    check_known_params(("cursor", "limit"))
    after = _feed_position()
    limit = limit_param()
    with get_runtime().db.session() as session:
        connection = _connection(session)
        query = select(Order).where(Order.connection_id == connection.id)
        if after is not None:
            query = query.where(Order.feed_seq > after)
        rows = list(session.scalars(query.order_by(Order.feed_seq, Order.id).limit(limit + 1)))
        page, more = rows[:limit], len(rows) > limit
        cursor = str(page[-1].feed_seq) if page else str(after or 0)
        body = {"connection_id": connection.id, "orders": [order_payload(session, order) for order in page],
                "cursor": cursor, "has_more": more}
        record_contact(session, connection)
    response = json_response(200, body)
    if more:
        args = [(k, v) for k, v in request.args.items(multi=True) if k != "cursor"] + [("cursor", cursor)]
        response.headers["X-Next-Cursor"] = cursor
        response.headers["Link"] = f'<{request.base_url}?{urlencode(args)}>; rel="next"'
    return response


def _conflict(path: str, message: str) -> ProblemError:
    return ProblemError(409, message, errors=[{"path": path, "message": message}])


@blueprint.post("/v1/pos/orders/<order_id>/status")
@Endpoint(
    operation_id="pos_order_status", summary="Report an order's status", tag="POS", scopes=POS,
    description=schema("pos/order_status.input.json")["description"], request="pos/order_status.input.json",
    response="pos/order_status.output.json", idempotent=True, errors=(404, 409),
    path_params=(("order_id", "The hub's id of the order (its id in GET /v1/pos/orders)."),),
    response_description="The order after the status.",
)
def post_order_status(order_id: str) -> Response:
    """Apply the POS's status to one of its connection's orders; 409 for a move the rule forbids."""
    body = validated_body("pos/order_status.input.json")
    status, pos_order_id = body["status"], body.get("pos_order_id")
    with get_runtime().db.session() as session:
        connection = _connection(session)

        def produce() -> tuple[int, dict[str, Any]]:
            order = session.scalar(select(Order).where(
                Order.id == order_id, Order.connection_id == connection.id).with_for_update())
            if order is None:
                raise not_found("order")
            if pos_order_id and order.pos_order_id not in (None, pos_order_id):
                raise _conflict("/pos_order_id", f"This order's POS order id is {order.pos_order_id!r} "
                                "already; it cannot change.")
            if status != order.status and not can_move(order.status, status):
                raise _conflict("/status", f"The order is {order.status}; it cannot move to {status} "
                                "(statuses only move forward; rejected, completed and cancelled are final).")
            if pos_order_id:
                order.pos_order_id = pos_order_id
            apply_status(session, order, status, reason=body.get("reason"), source="pos")
            record_contact(session, connection)
            return 200, order_payload(session, order)

        return idempotent(session, connection.hub_id, produce)

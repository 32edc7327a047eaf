"""Order deliveries: sending an order's create, update or cancel to its POS, retried until done or dead.

ORDER_DELIVERIES is a kind of leased work (hub.work), like action deliveries: the row is the record,
the job claims it with a lease, the scheduler's sweep re-queues what came due or was lost. One
delivery per order is in flight at a time and an order's deliveries go in the order they were made
(an update waits for its create). A refusal by the POS ends the delivery ``refused`` (a create's
refusal rejects the order, with the POS's reason); an outage is retried, then ``dead`` — visible in
the order's payload and re-driven by POST /v1/orders/<id>/retry, never dropped.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session, aliased

from hub.connectors import build_connector
from hub.connectors.base import ConnectorError, OrderPlacement, OrderRef, OrderRefused, Unsupported
from hub.jobs import ORDER_DELIVERIES_QUEUE
from hub.models import Connection, Order, OrderDelivery, utcnow
from hub.observability.metrics import timed_job
from hub.orders.service import FINAL, apply_status, order_data
from hub.orders.status import accepted_snapshot, restore_accepted
from hub.runtime import Runtime, get_runtime
from hub.work.backoff import Backoff
from hub.work.failures import ErrorKind, Failure
from hub.work.kind import DEAD, IN_PROGRESS, PENDING, SUCCEEDED, Lease, TaskKind
from hub.work.leases import claim_one_in_flight, fail, revive, settle
from hub.work.queueing import enqueue_on_commit

log = logging.getLogger(__name__)

ORDER_DELIVERIES = TaskKind(
    name="order_delivery",
    job="hub.orders.delivery.run_order_delivery",
    queue=ORDER_DELIVERIES_QUEUE,
    table=OrderDelivery,
    lease=timedelta(seconds=330),  # longer than a job may run (rq's timeout is 300 s)
    # An order is waited for: retries come sooner than a menu push's, and give up within the hour.
    backoff=Backoff(delays=(2, 10, 30, 120, 600, 1800)),
    lost_after=timedelta(seconds=60),
)
BUSY_DELAY = timedelta(seconds=2)
REFUSED, SKIPPED = "refused", "skipped"
# Connection types whose POS fetches its orders from the hub (GET /v1/pos/orders): nothing is sent.
FEED_TYPES = frozenset({"push"})


def delivers(connection: Connection) -> bool:
    """Whether the hub sends this connection's orders (False: its POS fetches them from the feed)."""
    return connection.type not in FEED_TYPES


def queue_delivery(session: Session, order: Order, operation: str,
                   reason: str | None = None) -> OrderDelivery:
    """A pending delivery of this operation for the order's current version; its job runs after commit."""
    now = utcnow()
    delivery = OrderDelivery(hub_id=order.hub_id, order_id=order.id, connection_id=order.connection_id,
                             operation=operation, reason=reason, version=order.version, status=PENDING,
                             attempts=0, enqueued_at=now, created_at=now, updated_at=now)
    session.add(delivery)
    session.flush()
    enqueue_on_commit(session, get_runtime().queue, ORDER_DELIVERIES, [delivery.id])
    return delivery


def unsent_create(session: Session, order: Order) -> OrderDelivery | None:
    """The order's create delivery while it has not reached the POS and no worker holds it."""
    return session.scalar(select(OrderDelivery).where(
        OrderDelivery.order_id == order.id, OrderDelivery.operation == "create",
        or_(OrderDelivery.status == DEAD,
            and_(OrderDelivery.status == PENDING, OrderDelivery.attempts == 0))))


def in_flight(session: Session, order: Order) -> bool:
    """Whether a delivery of the order is pending or being sent."""
    return session.scalar(select(exists().where(OrderDelivery.order_id == order.id,
                                                OrderDelivery.status.in_((PENDING, IN_PROGRESS))))) or False


def redrive(session: Session, order: Order) -> list[str]:
    """Make the order's dead deliveries pending with fresh retries; their jobs run after commit."""
    return revive(session, get_runtime().queue, ORDER_DELIVERIES, OrderDelivery.order_id == order.id,
                  OrderDelivery.hub_id == order.hub_id, now=utcnow())


# ---------- the job ----------

def claim(session: Session, delivery_id: str, now: datetime | None = None) -> Lease | None:
    """Lease the delivery if it is due and no earlier delivery of its order is unfinished or in flight.

    A delivery that must wait is postponed by BUSY_DELAY, its attempt not counted.
    """
    now = now or utcnow()
    row = session.execute(select(OrderDelivery.order_id, OrderDelivery.created_at)
                          .where(OrderDelivery.id == delivery_id)).one_or_none()
    if row is None:
        return None
    order_id, created_at = row
    other = aliased(OrderDelivery)
    busy = exists().where(other.order_id == order_id, other.id != delivery_id, or_(
        and_(other.status == IN_PROGRESS, other.leased_until > now),
        and_(other.status == PENDING, or_(other.created_at < created_at,
                                          and_(other.created_at == created_at, other.id < delivery_id)))))
    lock = select(Order.id).where(Order.id == order_id).with_for_update()
    return claim_one_in_flight(session, ORDER_DELIVERIES, delivery_id, lock, busy, now, BUSY_DELAY)


@timed_job("order", delivery=True)
def run_order_delivery(delivery_id: str) -> str:
    """The job: claim, send the operation to the POS, record the outcome. Returns the outcome's name."""
    rt = get_runtime()
    with rt.db.session() as session:
        lease = claim(session, delivery_id)
    if lease is None:
        return "not_claimed"
    try:
        return _attempt(rt, lease)
    except (OrderRefused, Unsupported) as exc:
        return _refused(rt, lease, str(getattr(exc, "reason", None) or exc))
    except ConnectorError as exc:
        error = exc
    except Exception as exc:  # noqa: BLE001 - an unexpected failure is retried like an outage
        log.exception("order delivery %s failed unexpectedly", delivery_id)
        error = ConnectorError(ErrorKind.TRANSIENT, f"unexpected error: {type(exc).__name__}: {exc}")
    with rt.db.session() as session:
        status = fail(session, ORDER_DELIVERIES, lease, Failure(error.kind, str(error), error.retry_after),
                      utcnow())
    return {PENDING: "retrying", None: "lease_lost"}.get(status, status)


def _skip_reason(operation: str, order: Order) -> str | None:
    """Why this delivery is no longer to be sent, or None."""
    if operation == "create" and order.status in FINAL:
        return f"The order was {order.status} before it reached the POS, so it was not sent."
    if operation != "create" and order.status in FINAL:
        return f"The order is already {order.status}; nothing was sent."
    if operation == "update" and order.pos_order_id is None and order.status == "received":
        return "The order has not reached the POS yet; sending it again (retry) sends the current lines."
    return None


def _attempt(rt: Runtime, lease: Lease) -> str:
    with rt.db.session() as session:
        delivery = session.get(OrderDelivery, lease.item_id)
        order = session.get(Order, delivery.order_id)
        operation, version, reason = delivery.operation, delivery.version, delivery.reason
        skip = _skip_reason(operation, order)
        never_sent = operation == "cancel" and order.pos_order_id is None and order.status == "received"
        connection = session.get(Connection, order.connection_id)
        data = order_data(order)
        ref = OrderRef(order.id, order.pos_order_id, dict(order.pos_state or {}))
    if skip is not None:
        with rt.db.session() as session:
            settle(session, ORDER_DELIVERIES, lease, status=SKIPPED, last_error=skip, next_attempt_at=None)
        return SKIPPED
    if never_sent:  # its create died: nothing at the POS to cancel
        placement = OrderPlacement(pos_order_id=None, status="cancelled", reason=reason)
    else:
        connector = build_connector(connection, rt.vault)
        key = f"{data.order_id}-v{version}-{operation}"
        if operation == "create":
            placement = connector.create_order(data, key)
        elif operation == "update":
            placement = connector.update_order(data, ref, key)
        else:
            placement = connector.cancel_order(data, ref, reason, key)
    with rt.db.session() as session:
        if not settle(session, ORDER_DELIVERIES, lease, status=SUCCEEDED, last_error=None,
                      next_attempt_at=None):
            log.warning("order delivery %s lost its lease before it finished; outcome not recorded",
                        lease.item_id)
            return "lease_lost"
        order = session.scalar(select(Order).where(Order.id == data.order_id).with_for_update())
        if placement.pos_order_id:
            order.pos_order_id = placement.pos_order_id
        if operation in ("create", "update"):
            order.pos_accepted = accepted_snapshot(data)
        apply_status(session, order, placement.status, reason=placement.reason,
                     source="hub" if never_sent else "pos", pos_state=placement.pos_state or None)
    return SUCCEEDED


def _refused(rt: Runtime, lease: Lease, reason: str) -> str:
    """The POS said no: a create rejects the order; an update or cancel is reported refused, and a refused
    update puts back the lines and hold of the version the POS still makes."""
    with rt.db.session() as session:
        if not settle(session, ORDER_DELIVERIES, lease, status=REFUSED, last_error=reason[:2000],
                      next_attempt_at=None):
            return "lease_lost"
        delivery = session.get(OrderDelivery, lease.item_id)
        order = session.scalar(select(Order).where(Order.id == delivery.order_id).with_for_update())
        if delivery.operation == "create":
            apply_status(session, order, "rejected", reason=reason, source="pos")
        elif delivery.operation == "update" and order.version <= delivery.version:
            restore_accepted(session, order)  # no later change waits to be sent: the POS makes the old one
    return REFUSED

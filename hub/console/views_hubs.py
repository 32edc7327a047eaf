"""Hubs: the list (search, connection counts and health), creating a hub, and a hub's overview."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from hub.admin import (
    DEFAULT_CURRENCY,
    DEFAULT_TIMEZONE,
    AdminError,
    check_currency,
    check_timezone,
    create_hub,
)
from hub.console import console
from hub.console.auth import current_actor, hub_or_404, login_required, visible_hubs_filter
from hub.console.forms import GENERAL, Field
from hub.jobs import (
    ACTION_CALLBACKS_QUEUE,
    ACTION_DELIVERIES_QUEUE,
    HOOK_DELIVERIES_QUEUE,
    ORDER_DELIVERIES_QUEUE,
    QUEUE_NAME,
    polls_queue,
)
from hub.models import (
    ActionCallback,
    Connection,
    Delivery,
    Event,
    HookDelivery,
    Hub,
    OrderDelivery,
    QuarantinedRecord,
)
from hub.runtime import get_runtime

log = logging.getLogger(__name__)

RECENT_EVENTS = 10
HUBS_PER_PAGE = 100


# ---- the hub list ----


@dataclass(frozen=True)
class HubRow:
    """One line of the hub list."""

    hub: Hub
    connections: int
    needing_attention: int
    failing: int

    @property
    def health(self) -> str:
        """The worst health of the hub's connections ("ok" without any)."""
        return "needs_attention" if self.needing_attention else "failing" if self.failing else "ok"


def hub_rows(session: Session, search: str = "") -> list[HubRow]:
    """The hubs the actor sees, matching the search (name or id), with their connection counts."""
    counts = (
        select(
            Connection.hub_id,
            func.count().label("total"),
            func.sum(case((Connection.health == "needs_attention", 1), else_=0)).label("attention"),
            func.sum(case((Connection.health == "failing", 1), else_=0)).label("failing"),
        ).group_by(Connection.hub_id).subquery()
    )
    stmt = visible_hubs_filter(
        select(Hub, counts.c.total, counts.c.attention, counts.c.failing)
        .outerjoin(counts, counts.c.hub_id == Hub.id).order_by(Hub.name, Hub.id).limit(HUBS_PER_PAGE)
    )
    if search.strip():
        like = f"%{search.strip().lower()}%"
        stmt = stmt.where(or_(func.lower(Hub.name).like(like), func.lower(Hub.id).like(like)))
    return [HubRow(hub, total or 0, attention or 0, failing or 0) for hub, total, attention, failing
            in session.execute(stmt)]


def hub_fields(values: dict[str, str] | None = None) -> list[Field]:
    """The fields of the new-hub form."""
    values = values or {}
    return [
        Field("name", "Name", required=True, value=values.get("name", ""), autocomplete="off",
              help="The customer's name as support staff know it, e.g. Fresh Fridges GmbH."),
        Field("timezone", "Time zone", required=True, value=values.get("timezone", DEFAULT_TIMEZONE),
              help="An IANA time zone such as Europe/Berlin or America/New_York: local times sent without an "
              "offset (a coupon's validity) are read in it."),
        Field("currency", "Currency", required=True, value=values.get("currency", DEFAULT_CURRENCY),
              help="A three-letter ISO 4217 code in capitals, such as EUR or USD: prices sent without a "
              "currency are in it."),
    ]


@console.route("/")
@login_required
def index():  # noqa: ANN201
    """The console's home: the hub list for operators, the own hub for an admin key."""
    actor = current_actor()
    if actor is not None and actor.hub_id is not None:
        return redirect(url_for("console.hub_overview", hub_id=actor.hub_id))
    return redirect(url_for("console.hubs"))


@console.route("/hubs")
@login_required
def hubs():  # noqa: ANN201
    """Every hub (an admin key: its own), searchable by name or id."""
    search = request.args.get("q", "")
    with get_runtime().db.session() as session:
        rows = hub_rows(session, search)
    return render_template("console/hubs.html", rows=rows, search=search, limit=HUBS_PER_PAGE)


def _hub_problems(values: dict[str, str]) -> dict[str, list[str]]:
    """The hub's own checks (hub.admin), each placed next to its field."""
    errors: dict[str, list[str]] = {}
    for path, check in (("timezone", check_timezone), ("currency", check_currency)):
        try:
            check(values[path])
        except AdminError as exc:
            errors.setdefault(path, []).append(_sentence(str(exc)))
    return errors


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")


@console.route("/hubs/new", methods=["GET", "POST"])
@login_required
def hub_new():  # noqa: ANN201
    """Create a hub (operators only: an admin key belongs to one hub)."""
    actor = current_actor()
    if actor is None or not actor.is_operator:
        message = ("You are signed in with a hub's admin key, which manages that hub only. "
                   "Ask support staff to create a new hub.")
        return render_template("console/error.html", status=403, title="Only support staff can create hubs",
                               message=message), 403
    if request.method == "GET":
        return render_template("console/hub_new.html", fields=hub_fields(), errors={})
    values = {name: request.form.get(name, "").strip() for name in ("name", "timezone", "currency")}
    errors = _hub_problems(values)
    if not errors:
        with get_runtime().db.session() as session:
            try:
                hub = create_hub(session, values["name"], values["timezone"], values["currency"])
            except AdminError as exc:
                message = _sentence(str(exc))
                errors = {"name" if "name" in str(exc) else GENERAL: [message]}
            else:
                flash(f"Hub “{hub.name}” created. Next: connect its first POS.", "success")
                return redirect(url_for("console.hub_overview", hub_id=hub.id))
    return render_template("console/hub_new.html", fields=hub_fields(values), errors=errors), 422


# ---- a hub's overview ----


def last_poll_at(connection: Connection) -> datetime | None:
    """When the connection was last polled successfully, as far as the hub knows.

    The hub stores the next poll, not the last: after a successful poll the next one is due one
    interval later, so the last is next_poll_at minus the interval. Unknown (None) while the
    connection is failing (the delay then follows the failure policy) or has never been polled.
    """
    if connection.next_poll_at is None or connection.poll_interval_seconds <= 0 or connection.health != "ok":
        return None
    if connection.last_contact_at is None:
        return None
    return connection.next_poll_at - timedelta(seconds=connection.poll_interval_seconds)


def dead_letter_counts(session: Session, hub_id: str) -> list[tuple[str, str, int]]:
    """Open dead letters of every kind: (kind, what it is in plain words, count)."""
    kinds = [
        ("action_deliveries", "Action deliveries to a POS", Delivery),
        ("hook_deliveries", "Hook deliveries to Zapier / n8n", HookDelivery),
        ("order_deliveries", "Orders sent to a POS", OrderDelivery),
        ("action_callbacks", "Action outcome callbacks", ActionCallback),
    ]
    counts = []
    for kind, label, model in kinds:
        n = session.scalar(select(func.count()).select_from(model)
                           .where(model.hub_id == hub_id, model.status == "dead")) or 0
        counts.append((kind, label, n))
    return counts


@dataclass(frozen=True)
class QueueLag:
    """One job queue: how many jobs wait and how long the oldest has waited (seconds)."""

    name: str
    waiting: int
    oldest_seconds: float | None


def queue_lag(connection_types: set[str]) -> list[QueueLag] | None:
    """The job queues' backlog when Redis is configured (None without Redis, [] when it does not answer)."""
    queue = get_runtime().queue
    if not hasattr(queue, "rq_queue"):
        return None
    names = [QUEUE_NAME, ACTION_DELIVERIES_QUEUE, HOOK_DELIVERIES_QUEUE, ACTION_CALLBACKS_QUEUE,
             ORDER_DELIVERIES_QUEUE] + sorted(polls_queue(t) for t in connection_types)
    lags = []
    try:
        for name in names:
            rq_queue = queue.rq_queue(name)
            waiting = rq_queue.count
            oldest = None
            if waiting:
                job = rq_queue.fetch_job(next(iter(rq_queue.get_job_ids(0, 1)), ""))
                if job is not None and job.enqueued_at is not None:
                    at = job.enqueued_at
                    enqueued = (at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp()
                    oldest = max(0.0, time.time() - enqueued)
            lags.append(QueueLag(name, waiting, oldest))
    except Exception:  # noqa: BLE001 - an overview must render while Redis is down
        log.warning("could not read the queue lag", exc_info=True)
        return []
    return lags


def overview_context(session: Session, hub: Hub) -> dict[str, Any]:
    """What the overview shows."""
    connections = list(session.scalars(
        select(Connection).where(Connection.hub_id == hub.id).order_by(Connection.created_at, Connection.id)))
    events = list(session.scalars(
        select(Event).where(Event.hub_id == hub.id).order_by(Event.id.desc()).limit(RECENT_EVENTS)))
    quarantined = session.scalar(select(func.count()).select_from(QuarantinedRecord).where(
        QuarantinedRecord.hub_id == hub.id, QuarantinedRecord.status == "open")) or 0
    return {
        "hub": hub,
        "connections": connections,
        "last_poll": {c.id: last_poll_at(c) for c in connections},
        "dead_letters": dead_letter_counts(session, hub.id),
        "quarantined": quarantined,
        "events": events,
        "connection_names": {c.id: c.name for c in connections},
        "lags": queue_lag({c.type for c in connections}),
    }


@console.route("/hubs/<hub_id>")
@login_required
def hub_overview(hub_id: str):  # noqa: ANN201
    """A hub at a glance: its connections' health, dead letters, recent events and the queue lag."""
    with get_runtime().db.session() as session:
        hub = hub_or_404(session, hub_id)
        context = overview_context(session, hub)
    return render_template("console/hub_overview.html", active="console.hub_overview", **context)

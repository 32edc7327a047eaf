"""The console's activity pages: action runs, hooks, dead letters, quarantine, events and orders.

Everything here reads the hub's rows (always scoped by hub_id: another hub's id is a 404) and acts
through the same service functions as the API and CLI: redrive_dead (action runs), replay_dead
(hook deliveries), redrive (orders), the work engine's revive (action callbacks), and
hub.quarantine's replay and dismiss.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from hub.action_callbacks.kind import ACTION_CALLBACKS
from hub.console import console
from hub.console.auth import hub_or_404, login_required
from hub.deliveries import redrive_dead, run_payload
from hub.hooks.delivery import replay_dead
from hub.models import (
    ActionCallback,
    ActionRun,
    Connection,
    Delivery,
    Event,
    HookDelivery,
    HookSubscription,
    Location,
    Order,
    OrderDelivery,
    QuarantinedRecord,
    utcnow,
)
from hub.orders.delivery import redrive
from hub.orders.service import STATUSES as ORDER_STATUSES
from hub.orders.service import order_payload
from hub.quarantine import STATUSES as QUARANTINE_STATUSES
from hub.quarantine import QuarantineError, dismiss, own_record, record_view, replay
from hub.runtime import get_runtime
from hub.work.kind import DEAD
from hub.work.leases import revive

PAGE = 50
EVENTS_PAGE = 100


def _own(s: Session, model: Any, hub_id: str, item_id: str) -> Any:
    """The hub's row of this model, or 404 (another hub's row is as unknown as a missing one)."""
    row = s.scalar(select(model).where(model.id == item_id, model.hub_id == hub_id))
    if row is None:
        abort(404)
    return row


def _names(s: Session, model: Any, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    return dict(s.execute(select(model.id, model.name).where(model.id.in_(ids))).all())


def pretty(value: Any) -> str:
    """JSON laid out for reading (raw vendor data, event payloads)."""
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str)


def _parse(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


# ---------- action runs ----------

@console.get("/hubs/<hub_id>/runs")
@login_required
def runs(hub_id: str) -> str:
    """The hub's action runs, newest first, with their status and summary."""
    with get_runtime().db.session() as s:
        hub = hub_or_404(s, hub_id)
        rows = list(s.scalars(select(ActionRun).where(ActionRun.hub_id == hub_id)
                              .order_by(ActionRun.created_at.desc(), ActionRun.id).limit(PAGE)))
        return render_template("console/runs.html", hub=hub, runs=[(r, run_payload(s, r)) for r in rows])


@console.get("/hubs/<hub_id>/runs/<run_id>")
@login_required
def run(hub_id: str, run_id: str) -> str:
    """One run: each connection's delivery (status, attempts, last error) and its callback."""
    with get_runtime().db.session() as s:
        hub = hub_or_404(s, hub_id)
        action_run = _own(s, ActionRun, hub_id, run_id)
        view = run_payload(s, action_run)
        for delivery in view["deliveries"]:
            delivery["next_at"] = _parse(delivery["next_attempt_at"])
        return render_template("console/run.html", hub=hub, run=view, row=action_run,
                               input=pretty(action_run.input), updated_at=_parse(view["updated_at"]),
                               dead=sum(1 for d in view["deliveries"] if d["status"] == DEAD))


@console.post("/hubs/<hub_id>/runs/<run_id>/retry")
@login_required
def run_retry(hub_id: str, run_id: str) -> Response:
    """Send the run's dead deliveries again, with fresh retries."""
    _retry_dead(hub_id, ActionRun, run_id, redrive_dead)
    return redirect(url_for("console.run", hub_id=hub_id, run_id=run_id), 303)


def _retry_dead(hub_id: str, model: Any, item_id: str, drive: Callable[[Session, Any], list[str]]) -> None:
    """Re-drive the dead deliveries of the hub's run or order (`drive`: the service function) and say so."""
    with get_runtime().db.session() as s:
        hub_or_404(s, hub_id)
        revived = drive(s, _own(s, model, hub_id, item_id))
    _flash_replayed(len(revived), "delivery", "deliveries")


def _flash_replayed(count: int, one: str, many: str) -> None:
    if count:
        flash(f"{count} {one if count == 1 else many} sent again; the page shows how they go.", "success")
    else:
        flash(f"Nothing to send again: no {many} had failed for good.", "info")


# ---------- hooks ----------

@console.get("/hubs/<hub_id>/hooks")
@login_required
def hooks(hub_id: str) -> str:
    """The hub's hook subscriptions with their delivery counts."""
    with get_runtime().db.session() as s:
        hub = hub_or_404(s, hub_id)
        subs = list(s.scalars(select(HookSubscription).where(HookSubscription.hub_id == hub_id)
                              .order_by(HookSubscription.created_at.desc(), HookSubscription.id)))
        counts: dict[str, dict[str, int]] = {}
        for sub_id, status, count in s.execute(
                select(HookDelivery.subscription_id, HookDelivery.status, func.count())
                .where(HookDelivery.hub_id == hub_id)
                .group_by(HookDelivery.subscription_id, HookDelivery.status)):
            counts.setdefault(sub_id, {})[status] = count
        return render_template("console/hooks.html", hub=hub, subs=subs, counts=counts)


@console.get("/hubs/<hub_id>/hooks/<hook_id>")
@login_required
def hook(hub_id: str, hook_id: str) -> str:
    """One subscription and its deliveries, newest first (dead ones can be replayed)."""
    status = request.args.get("status") or None
    with get_runtime().db.session() as s:
        hub = hub_or_404(s, hub_id)
        sub = _own(s, HookSubscription, hub_id, hook_id)
        query = select(HookDelivery).where(HookDelivery.subscription_id == sub.id,
                                           HookDelivery.hub_id == hub_id)
        if status:
            query = query.where(HookDelivery.status == status)
        query = query.order_by(HookDelivery.event_id.desc(), HookDelivery.id).limit(PAGE)
        deliveries = list(s.scalars(query))
        return render_template("console/hook.html", hub=hub, sub=sub, deliveries=deliveries, status=status,
                               filters=pretty(sub.filters or {}))


@console.post("/hubs/<hub_id>/hooks/<hook_id>/deliveries/<delivery_id>/replay")
@login_required
def hook_replay(hub_id: str, hook_id: str, delivery_id: str) -> Response:
    """Send a dead hook delivery again, due now, with fresh retries."""
    with get_runtime().db.session() as s:
        hub_or_404(s, hub_id)
        sub = _own(s, HookSubscription, hub_id, hook_id)
        row = _own(s, HookDelivery, hub_id, delivery_id)
        if row.subscription_id != sub.id:
            abort(404)
        revived = replay_dead(s, HookDelivery.id == row.id, HookDelivery.hub_id == hub_id)
    _flash_replayed(len(revived), "delivery", "deliveries")
    return redirect(_back(url_for("console.hook", hub_id=hub_id, hook_id=hook_id)), 303)


def _back(default: str) -> str:
    """Where a form asked to go back to (a console path only), else the default."""
    target = request.form.get("next", "")
    return target if target.startswith("/console/") and not target.startswith("//") else default


# ---------- dead letters ----------

@dataclass
class DeadLetter:
    """One row of the dead letters page: what failed, when, why, and how to replay it."""

    kind: str
    item_id: str
    what: str
    when: datetime | None
    last_error: str | None
    link: str
    attempts: int = 0
    details: list[str] = field(default_factory=list)


KINDS = {
    "action": ("Action deliveries", "Menu or coupon changes a POS did not take; replaying sends the run's "
               "failed deliveries again."),
    "hook": ("Hook deliveries", "Events an automation (a Zap, an n8n workflow) did not receive."),
    "order": ("Order deliveries", "Orders (or their changes) that did not reach the POS."),
    "callback": ("Action callbacks", "Outcomes of action runs that could not be reported back to the "
                 "automation that asked for them."),
}


def _action_letters(s: Session, hub_id: str) -> list[DeadLetter]:
    rows = s.execute(select(Delivery, ActionRun.action, Connection.name)
                     .join(ActionRun, ActionRun.id == Delivery.action_run_id)
                     .join(Connection, Connection.id == Delivery.connection_id)
                     .where(Delivery.hub_id == hub_id, Delivery.status == DEAD)
                     .order_by(Delivery.updated_at.desc()).limit(PAGE * 4)).all()
    letters: dict[str, DeadLetter] = {}
    for delivery, action, connection_name in rows:
        letter = letters.get(delivery.action_run_id)
        if letter is None:
            run_id = delivery.action_run_id
            letter = letters[run_id] = DeadLetter(
                "action", run_id, f"{action} run {run_id}", delivery.updated_at, delivery.last_error,
                url_for("console.run", hub_id=hub_id, run_id=run_id), delivery.attempts)
        letter.details.append(f"{connection_name}: {delivery.last_error or 'no error recorded'}")
    return list(letters.values())[:PAGE]


def _hook_letters(s: Session, hub_id: str) -> list[DeadLetter]:
    rows = s.execute(select(HookDelivery, HookSubscription.trigger, HookSubscription.target_url, Event.type)
                     .join(HookSubscription, HookSubscription.id == HookDelivery.subscription_id)
                     .join(Event, Event.id == HookDelivery.event_id)
                     .where(HookDelivery.hub_id == hub_id, HookDelivery.status == DEAD)
                     .order_by(HookDelivery.updated_at.desc()).limit(PAGE)).all()
    return [DeadLetter("hook", d.id, f"{event_type} event {d.event_id} to {target}", d.updated_at,
                       d.last_error, url_for("console.hook", hub_id=hub_id, hook_id=d.subscription_id),
                       d.attempts) for d, _trigger, target, event_type in rows]


def _order_letters(s: Session, hub_id: str) -> list[DeadLetter]:
    rows = s.execute(select(OrderDelivery, Order.channel_order_id)
                     .join(Order, Order.id == OrderDelivery.order_id)
                     .where(OrderDelivery.hub_id == hub_id, OrderDelivery.status == DEAD)
                     .order_by(OrderDelivery.updated_at.desc()).limit(PAGE)).all()
    return [DeadLetter("order", d.order_id, f"{d.operation} of order {channel_id}", d.updated_at,
                       d.last_error, url_for("console.order", hub_id=hub_id, order_id=d.order_id), d.attempts)
            for d, channel_id in rows]


def _callback_letters(s: Session, hub_id: str) -> list[DeadLetter]:
    rows = s.execute(select(ActionCallback, ActionRun.action)
                     .join(ActionRun, ActionRun.id == ActionCallback.action_run_id)
                     .where(ActionCallback.hub_id == hub_id, ActionCallback.status == DEAD)
                     .order_by(ActionCallback.updated_at.desc()).limit(PAGE)).all()
    return [DeadLetter("callback", c.id, f"outcome of {action} run {c.action_run_id} to {c.url}",
                       c.updated_at, c.last_error,
                       url_for("console.run", hub_id=hub_id, run_id=c.action_run_id), c.attempts)
            for c, action in rows]


_LETTERS = {"action": _action_letters, "hook": _hook_letters, "order": _order_letters,
            "callback": _callback_letters}


def dead_letter_count(s: Session, hub_id: str) -> int:
    """How many items of every kind are dead in this hub (for an overview)."""
    return sum(s.scalar(select(func.count()).select_from(model).where(model.hub_id == hub_id,
                                                                       model.status == DEAD)) or 0
               for model in (Delivery, HookDelivery, OrderDelivery, ActionCallback))


@console.get("/hubs/<hub_id>/dead-letters")
@login_required
def dead_letters(hub_id: str) -> str:
    """Everything that failed for good, by kind, each with Replay (and Replay all of a kind)."""
    with get_runtime().db.session() as s:
        hub = hub_or_404(s, hub_id)
        groups = [(kind, *KINDS[kind], fetch(s, hub_id)) for kind, fetch in _LETTERS.items()]
        return render_template("console/dead_letters.html", hub=hub, groups=groups,
                               total=sum(len(g[3]) for g in groups))


def _replay(s: Session, hub_id: str, kind: str, item_id: str | None) -> int:
    """Replay one dead letter of a kind (item_id) or all of them (None); how many items were revived."""
    now = utcnow()
    queue = get_runtime().queue
    if kind == "hook":
        where = [HookDelivery.hub_id == hub_id] + ([HookDelivery.id == item_id] if item_id else [])
        return len(replay_dead(s, *where, now=now))
    if kind == "callback":
        where = [ActionCallback.hub_id == hub_id] + ([ActionCallback.id == item_id] if item_id else [])
        return len(revive(s, queue, ACTION_CALLBACKS, *where, now=now, due_at=now))
    model, parent, parent_key, drive = {
        "action": (Delivery, ActionRun, Delivery.action_run_id, redrive_dead),
        "order": (OrderDelivery, Order, OrderDelivery.order_id, redrive),
    }[kind]
    if item_id:
        parents = [_own(s, parent, hub_id, item_id)]
    else:
        ids = set(s.scalars(select(parent_key).where(model.hub_id == hub_id, model.status == DEAD)))
        parents = list(s.scalars(select(parent).where(parent.id.in_(ids), parent.hub_id == hub_id)))
    return sum(len(drive(s, p)) for p in parents)


@console.get("/hubs/<hub_id>/dead-letters/replay")
@login_required
def dead_letters_confirm(hub_id: str) -> str:
    """Ask before replaying one dead letter or all of a kind."""
    kind = request.args.get("kind", "")
    if kind not in KINDS:
        abort(404)
    item_id = request.args.get("id") or None
    with get_runtime().db.session() as s:
        hub = hub_or_404(s, hub_id)
        letters = _LETTERS[kind](s, hub_id)
        if item_id:
            letters = [letter for letter in letters if letter.item_id == item_id]
            if not letters:
                abort(404)
        return render_template("console/dead_letters.html", hub=hub, confirm=True, kind=kind, item_id=item_id,
                               kind_title=KINDS[kind][0], letters=letters, groups=[], total=0)


@console.post("/hubs/<hub_id>/dead-letters/replay")
@login_required
def dead_letters_replay(hub_id: str) -> Response:
    """Replay one dead letter (kind and id) or every dead letter of a kind (kind only)."""
    kind = request.form.get("kind", "")
    if kind not in KINDS:
        abort(404)
    item_id = request.form.get("id") or None
    with get_runtime().db.session() as s:
        hub_or_404(s, hub_id)
        count = _replay(s, hub_id, kind, item_id)
    _flash_replayed(count, "item", "items")
    return redirect(url_for("console.dead_letters", hub_id=hub_id), 303)


# ---------- quarantine ----------

@console.get("/hubs/<hub_id>/quarantine")
@login_required
def quarantine(hub_id: str) -> str:
    """Vendor records the hub could not read, most recently seen first (open ones by default)."""
    status = request.args.get("status", "open")
    if status not in (*QUARANTINE_STATUSES, "all"):
        status = "open"
    with get_runtime().db.session() as s:
        hub = hub_or_404(s, hub_id)
        query = select(QuarantinedRecord).where(QuarantinedRecord.hub_id == hub_id)
        if status != "all":
            query = query.where(QuarantinedRecord.status == status)
        rows = list(s.scalars(query.order_by(QuarantinedRecord.last_seen_at.desc(), QuarantinedRecord.id)
                              .limit(PAGE)))
        names = _names(s, Connection, {r.connection_id for r in rows})
        return render_template("console/quarantine.html", hub=hub, records=rows, status=status,
                               statuses=QUARANTINE_STATUSES, connection_names=names)


@console.get("/hubs/<hub_id>/quarantine/<record_id>")
@login_required
def quarantined(hub_id: str, record_id: str) -> str:
    """One record: its reason and its raw data, with Replay and Dismiss."""
    with get_runtime().db.session() as s:
        hub = hub_or_404(s, hub_id)
        row = own_record(s, hub_id, record_id)
        if row is None:
            abort(404)
        connection = s.get(Connection, row.connection_id)
        return render_template("console/quarantined.html", hub=hub, record=record_view(row), row=row,
                               connection=connection, raw=pretty(row.raw),
                               confirm_dismiss=request.args.get("confirm") == "dismiss")


@console.post("/hubs/<hub_id>/quarantine/<record_id>/replay")
@login_required
def quarantined_replay(hub_id: str, record_id: str) -> Response:
    """Read the raw record again with the connector; say what came of it."""
    rt = get_runtime()
    with rt.db.session() as s:
        hub_or_404(s, hub_id)
    try:
        outcome = replay(rt.db, rt.vault, hub_id, record_id)
    except QuarantineError as exc:
        flash(f"Cannot replay this record: {exc}.", "error")
    else:
        if outcome is None:
            abort(404)
        ok = outcome.outcome in ("recorded", "duplicate")
        flash(f"Replayed: {outcome.detail}." if ok else f"Still unreadable: {outcome.detail}",
              "success" if ok else "error")
    return redirect(url_for("console.quarantined", hub_id=hub_id, record_id=record_id), 303)


@console.post("/hubs/<hub_id>/quarantine/<record_id>/dismiss")
@login_required
def quarantined_dismiss(hub_id: str, record_id: str) -> Response:
    """Set the record aside for good (confirmed on the record's page first)."""
    try:
        with get_runtime().db.session() as s:
            hub_or_404(s, hub_id)
            if dismiss(s, hub_id, record_id) is None:
                abort(404)
        flash("Dismissed: no purchase will be recorded from this record.", "success")
    except QuarantineError as exc:
        flash(f"Cannot dismiss this record: {exc}.", "error")
    return redirect(url_for("console.quarantined", hub_id=hub_id, record_id=record_id), 303)


# ---------- events ----------

@console.get("/hubs/<hub_id>/events")
@login_required
def events(hub_id: str) -> str:
    """The hub's most recent events, optionally of one type, each payload expandable."""
    event_type = request.args.get("type") or None
    with get_runtime().db.session() as s:
        hub = hub_or_404(s, hub_id)
        types = sorted(s.scalars(select(Event.type).where(Event.hub_id == hub_id).distinct()))
        query = select(Event).where(Event.hub_id == hub_id)
        if event_type:
            query = query.where(Event.type == event_type)
        rows = list(s.scalars(query.order_by(Event.id.desc()).limit(EVENTS_PAGE)))
        items = [{"event": e, "payload": pretty(e.payload)} for e in rows]
        connections = _names(s, Connection, {e.connection_id for e in rows if e.connection_id})
        locations = _names(s, Location, {e.location_id for e in rows if e.location_id})
        return render_template("console/events.html", hub=hub, items=items, types=types,
                               event_type=event_type, connection_names=connections, location_names=locations)


# ---------- orders ----------

@console.get("/hubs/<hub_id>/orders")
@login_required
def orders(hub_id: str) -> str:
    """The hub's orders, newest first, optionally in one status."""
    status = request.args.get("status") or None
    if status not in (None, *ORDER_STATUSES):
        status = None
    with get_runtime().db.session() as s:
        hub = hub_or_404(s, hub_id)
        query = select(Order).where(Order.hub_id == hub_id)
        if status:
            query = query.where(Order.status == status)
        rows = list(s.scalars(query.order_by(Order.created_at.desc(), Order.id.desc()).limit(PAGE)))
        dead = set(s.scalars(select(OrderDelivery.order_id).where(OrderDelivery.hub_id == hub_id,
                                                                  OrderDelivery.status == DEAD)))
        return render_template("console/orders.html", hub=hub, orders=rows, status=status,
                               statuses=ORDER_STATUSES, dead=dead,
                               location_names=_names(s, Location, {o.location_id for o in rows}))


@console.get("/hubs/<hub_id>/orders/<order_id>")
@login_required
def order(hub_id: str, order_id: str) -> str:
    """One order: lines, status history and its deliveries to the POS."""
    with get_runtime().db.session() as s:
        hub = hub_or_404(s, hub_id)
        row = _own(s, Order, hub_id, order_id)
        deliveries = list(s.scalars(select(OrderDelivery).where(OrderDelivery.order_id == row.id)
                                    .order_by(OrderDelivery.created_at.desc(), OrderDelivery.id.desc())))
        return render_template("console/order.html", hub=hub, order=order_payload(s, row),
                               deliveries=deliveries, dead=sum(1 for d in deliveries if d.status == DEAD))


@console.post("/hubs/<hub_id>/orders/<order_id>/retry")
@login_required
def order_retry(hub_id: str, order_id: str) -> Response:
    """Send the order's dead deliveries to the POS again, with fresh retries."""
    _retry_dead(hub_id, Order, order_id, redrive)
    return redirect(url_for("console.order", hub_id=hub_id, order_id=order_id), 303)


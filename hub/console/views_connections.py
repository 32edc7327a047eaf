"""Console pages of a hub's POS connections: list, connect (type picker, then the generated form), one
connection (health, settings, credentials, test, poll now, sandbox simulation) and its locations.

Every rule is the admin API's own (hub.admin, hub.simulation, hub.polling): these views only turn forms
into calls and the hub's problems into messages next to the fields.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from hub.admin import (
    AdminError,
    add_connection,
    add_location,
    check_connection,
    find_connection,
    start_poll,
    update_connection,
)
from hub.connectors import CONNECTORS, build_connector, connector_class
from hub.connectors.base import Capability, Connector
from hub.console import console
from hub.console.auth import hub_or_404, login_required
from hub.console.forms import Field, errors_by_path, fields_for, merge_errors, parse_fields
from hub.console.views_hubs import last_poll_at
from hub.models import Connection, Hub, Location, MenuItem, utcnow
from hub.runtime import get_runtime
from hub.simulation import SimulationError, simulate

# What each capability means, in the words of support staff.
CAPABILITY_WORDS = {
    Capability.TEST: "can be tested",
    Capability.STATUS: "reports which locations are online",
    Capability.INVENTORY: "reports stock",
    Capability.PURCHASES: "reports sales",
    Capability.PUSH_MENU: "receives menu changes",
    Capability.PUSH_COUPONS: "receives coupons",
    Capability.IMPORT_MENU: "can export its menu to the hub",
    Capability.ORDERS: "takes orders",
    Capability.CALLBACKS: "notifies the hub of changes at once",
}

# Whose fault a failed test is, and what to do about it.
FAULT_WORDS = {
    "configuration": "The connection's settings or credentials are wrong: fix them on the connection page "
    "and test again.",
    "vendor": "The POS vendor's side failed or did not answer: it usually clears by itself; test again "
    "later, or check the vendor's status page.",
    "hub": "The hub itself failed: this is not the customer's fault; report it to the hub's developers.",
}
KIND_WORDS = {
    "transient": "a passing failure (the hub retries by itself)",
    "rate_limited": "the POS asked the hub to slow down (the hub waits and retries)",
    "permanent": "it will keep failing until something is changed",
}


def _types() -> list[dict[str, Any]]:
    """Each connector type as the type picker shows it."""
    return [{"type": cls.type, "title": cls.title, "description": cls.description, "simulated": cls.simulated,
             "capabilities": [CAPABILITY_WORDS[c] for c in Capability if c in cls.capabilities],
             "polled": bool(cls.default_poll_interval_seconds)} for cls in CONNECTORS]


def _problems(exc: AdminError, fields: list[Field]) -> dict[str, list[str]]:
    """The hub's problems with a connection, each next to its field (the rest under "")."""
    return errors_by_path(exc.problems, [f.path for f in fields])


def _own(session: Session, hub_id: str, connection_id: str) -> tuple[Hub, Connection]:
    """The hub (404 for an actor who may not see it) and one of its connections (404 for any other)."""
    hub = hub_or_404(session, hub_id)
    connection = find_connection(session, hub.id, connection_id)
    if connection is None:
        abort(404)
    return hub, connection


def poll_summary(connection: Connection, polled: bool) -> dict[str, Any]:
    """Last and next poll in words: running, failed (since when), succeeded (views_hubs.last_poll_at)."""
    now = utcnow()
    if not polled or not connection.poll_interval_seconds:
        return {"last": "never: this POS sends its data to the hub", "last_at": None, "next_at": None}
    if connection.claimed_by and connection.claimed_until and connection.claimed_until > now:
        return {"last": "running now", "last_at": None, "next_at": None}
    if connection.consecutive_failures:
        last = f"failed ({connection.consecutive_failures} in a row)"
        return {"last": last, "last_at": connection.failing_since, "next_at": connection.next_poll_at}
    last = last_poll_at(connection)
    return {"last": "succeeded" if last else "not yet", "last_at": last, "next_at": connection.next_poll_at}


def _row(connection: Connection) -> dict[str, Any]:
    cls = connector_class(connection.type)
    return {"connection": connection, "title": cls.title if cls else connection.type,
            "simulated": bool(cls and cls.simulated),
            "poll": poll_summary(connection, bool(cls and cls.default_poll_interval_seconds))}


@console.get("/hubs/<hub_id>/connections")
@login_required
def connections(hub_id: str) -> str:
    """Every connection of the hub with its status and health."""
    with get_runtime().db.session() as s:
        hub = hub_or_404(s, hub_id)
        rows = [_row(c) for c in s.scalars(select(Connection).where(Connection.hub_id == hub.id)
                                           .order_by(Connection.name))]
        return render_template("console/connections.html", hub=hub, rows=rows)


def _posted(cls: type[Connector], part: str) -> tuple[dict[str, Any], dict[str, list[str]], list[Field]]:
    """One part of the posted form as JSON, the values that could not be read, and its fields to show again
    (credentials never are: the secrets are typed again)."""
    schema = cls.settings_schema if part == "settings" else cls.credentials_schema
    secret = part == "credentials"
    value, errors = parse_fields(schema, part, request.form, secret=secret)
    fields = fields_for(schema, part, secret=secret)
    for f in fields:  # what was typed is shown again, even when it could not be read; secrets never are
        if f.kind == "checkbox":
            f.value = f.path in request.form
        elif not secret:
            f.value = request.form.get(f.path, "")
    return value, errors, fields


@console.route("/hubs/<hub_id>/connections/new", methods=["GET", "POST"])
@login_required
def connection_new(hub_id: str) -> str | Response | tuple[str, int]:
    """Connect a POS: pick a type, then fill in the form generated from its settings and credentials."""
    rt = get_runtime()
    with rt.db.session() as s:
        hub = hub_or_404(s, hub_id)
        type_name = request.values.get("type", "")
        cls = connector_class(type_name)
        if cls is None:
            return render_template("console/connection_new_type.html", hub=hub, types=_types())
        name, problems = "", {}
        settings_fields = fields_for(cls.settings_schema, "settings")
        credential_fields = fields_for(cls.credentials_schema, "credentials", secret=True)
        if request.method == "POST":
            name = request.form.get("name", "").strip()
            config, settings_errors, settings_fields = _posted(cls, "settings")
            credentials, credential_errors, credential_fields = _posted(cls, "credentials")
            problems = merge_errors(settings_errors, credential_errors)
            if not name:
                problems["name"] = ["Give the connection a name, e.g. the shop or the fleet it reaches."]
            if not problems:
                try:
                    connection = add_connection(s, rt.vault, hub.id, cls.type, name, config, credentials)
                except AdminError as exc:
                    problems = _problems(exc, settings_fields + credential_fields)
                else:
                    flash(f"Connected {name}. Next: add its locations, then test it.", "success")
                    return redirect(url_for("console.connection", hub_id=hub.id, connection_id=connection.id))
        page = render_template(
            "console/connection_new.html", hub=hub, kind=_types()[CONNECTORS.index(cls)], name=name,
            settings_fields=settings_fields, credential_fields=credential_fields, errors=problems)
        return (page, 422) if problems else page


def _connection_page(s: Session, hub: Hub, connection: Connection, *,
                     errors: dict[str, list[str]] | None = None, open_part: str | None = None,
                     fields: list[Field] | None = None, status: int = 200) -> tuple[str, int]:
    """The connection's page; `open_part` is the form sent back with its `fields` and `errors`."""
    cls = connector_class(connection.type)
    if cls is None:
        abort(404)
    locations = list(s.scalars(select(Location).where(Location.connection_id == connection.id)
                               .order_by(Location.created_at)))
    skus = list(s.scalars(select(MenuItem.sku).where(MenuItem.hub_id == hub.id).order_by(MenuItem.sku)))
    page = render_template(
        "console/connection.html", hub=hub, row=_row(connection), connection=connection, kind=cls,
        settings_fields=fields if open_part == "settings" else fields_for(cls.settings_schema, "settings",
                                                                          connection.config),
        credential_fields=fields if open_part == "credentials" else fields_for(cls.credentials_schema,
                                                                               "credentials", secret=True),
        current_settings=fields_for(cls.settings_schema, "settings", connection.config), open_part=open_part,
        errors=errors or {},
        locations=locations, skus=skus, can_test=Capability.TEST in cls.capabilities,
    )
    return page, status


@console.get("/hubs/<hub_id>/connections/<connection_id>")
@login_required
def connection(hub_id: str, connection_id: str) -> tuple[str, int]:
    """One connection: health, settings (never credentials), and what support can do with it."""
    with get_runtime().db.session() as s:
        hub, con = _own(s, hub_id, connection_id)
        return _connection_page(s, hub, con)


# What saving each part says.
_SAVED = {"settings": "Settings saved. The connection is polled again now.",
          "credentials": "New credentials saved (they are not shown again). The connection is polled again "
          "now."}


@console.post("/hubs/<hub_id>/connections/<connection_id>/settings")
@login_required
def connection_settings(hub_id: str, connection_id: str) -> tuple[str, int] | Response:
    """Replace the connection's settings and name."""
    return _change(hub_id, connection_id, "settings")


@console.post("/hubs/<hub_id>/connections/<connection_id>/credentials")
@login_required
def connection_credentials(hub_id: str, connection_id: str) -> tuple[str, int] | Response:
    """Replace the connection's credentials (confirmed: the old ones are gone for good)."""
    return _change(hub_id, connection_id, "credentials")


def _change(hub_id: str, connection_id: str, part: str) -> tuple[str, int] | Response:
    """Save one part of the posted form, checked as when connecting (a fix is polled at once)."""
    rt = get_runtime()
    with rt.db.session() as s:
        hub, con = _own(s, hub_id, connection_id)
        value, errors, fields = _posted(connector_class(con.type), part)
        name = request.form.get("name", "").strip()
        if part == "settings" and not name:
            errors["name"] = ["The connection needs a name."]
        if part == "credentials" and request.form.get("confirm") != "yes":
            errors["confirm"] = ["Tick the box to confirm: the old credentials are replaced for good."]
        if not errors:
            change = {"name": name, "config": value} if part == "settings" else {"credentials": value}
            try:
                update_connection(s, rt.vault, con, **change)
            except AdminError as exc:
                errors = _problems(exc, fields)
            else:
                flash(_SAVED[part], "success")
                return redirect(url_for("console.connection", hub_id=hub.id, connection_id=con.id))
        return _connection_page(s, hub, con, errors=errors, status=422, open_part=part, fields=fields)


@console.post("/hubs/<hub_id>/connections/<connection_id>/test")
@login_required
def connection_test(hub_id: str, connection_id: str) -> str:
    """Call the POS with the stored settings and credentials, and show what it answered."""
    rt = get_runtime()
    with rt.db.session() as s:
        hub, con = _own(s, hub_id, connection_id)
        connector = build_connector(con, rt.vault)
    result = check_connection(connector)  # the vendor is called outside the database transaction
    return render_template("console/connection_test.html", hub=hub, connection_id=con.id, name=con.name,
                           result=result, fault_words=FAULT_WORDS.get(result.fault or ""),
                           kind_words=KIND_WORDS.get(result.error_kind or ""))


@console.post("/hubs/<hub_id>/connections/<connection_id>/poll")
@login_required
def connection_poll(hub_id: str, connection_id: str) -> Response:
    """Poll the connection now instead of at its next interval."""
    rt = get_runtime()
    with rt.db.session() as s:
        hub, con = _own(s, hub_id, connection_id)
    started, detail = start_poll(rt, con.id)
    flash(f"Poll now: {detail}. Reload this page in a few seconds to see the result.",
          "success" if started else "info")
    return redirect(url_for("console.connection", hub_id=hub.id, connection_id=con.id))


def _simulated(result: dict[str, Any], location_name: str | None) -> str:
    """What a simulation did, in plain words."""
    action, where = result["action"], f" at {location_name}" if location_name else ""
    if action == "sell":
        return (f"Sold {request.form.get('quantity') or 1} × {request.form.get('sku', '').strip()}{where} "
                f"(sale {result['external_id']}). The hub records it on its next poll, within seconds: "
                "a new_purchase event follows.")
    if action == "restock":
        return f"Stock of {result['sku']}{where} set to {result['quantity']}."
    if action in ("location_offline", "location_online"):
        state = "offline" if action == "location_offline" else "online"
        fired = f" Event fired: {result['event']}." if result.get("event") else " No event: it already was."
        return f"The location{where} now reports itself {state}.{fired}"
    if action == "outage":
        return "The simulated POS stopped answering: pos_offline fires on the hub's next offline sweep."
    fired = " pos_online fired." if result.get("pos_online_fired") else ""
    return f"The simulated POS answers again.{fired}"


@console.post("/hubs/<hub_id>/connections/<connection_id>/simulate")
@login_required
def connection_simulate(hub_id: str, connection_id: str) -> Response:
    """Make a sandbox connection sell, restock, take a location offline or online, or have an outage."""
    with get_runtime().db.session() as s:
        hub, con = _own(s, hub_id, connection_id)
        form = request.form
        try:
            quantity = int(form.get("quantity") or 1)
        except ValueError:
            quantity = -1
        try:
            result = simulate(s, con, form.get("action", ""),
                              location_external_id=form.get("location_external_id") or None,
                              sku=(form.get("sku") or "").strip() or None, quantity=quantity)
        except SimulationError as exc:
            s.rollback()
            flash(f"Nothing simulated: {exc}.", "error")
        else:
            location = s.get(Location, result["location_id"]) if result.get("location_id") else None
            flash(_simulated(result, location.name if location else None), "success")
    return redirect(url_for("console.connection", hub_id=hub_id, connection_id=connection_id) + "#simulate")


@console.route("/hubs/<hub_id>/connections/<connection_id>/locations", methods=["GET", "POST"])
@login_required
def locations(hub_id: str, connection_id: str) -> tuple[str, int] | Response:
    """The connection's locations, and a form to add one."""
    with get_runtime().db.session() as s:
        hub, con = _own(s, hub_id, connection_id)
        external_id = request.form.get("external_id", "").strip()
        name = request.form.get("name", "").strip()
        problems: dict[str, list[str]] = {}
        if request.method == "POST":
            if not external_id:
                problems["external_id"] = ["Enter the POS's own id of the location, e.g. fridge-1."]
            if not name:
                problems["name"] = ["Enter a name support staff and customers recognise, e.g. Lobby fridge."]
            if not problems:
                try:
                    add_location(s, hub.id, con.id, external_id, name)
                except AdminError as exc:
                    problems["external_id"] = [f"{exc}"]
                else:
                    flash(f"Location {name} added.", "success")
                    return redirect(url_for("console.locations", hub_id=hub.id, connection_id=con.id))
        rows = list(s.scalars(select(Location).where(Location.connection_id == con.id)
                              .order_by(Location.name)))
        page = render_template("console/locations.html", hub=hub, connection=con, locations=rows,
                               external_id=external_id, name=name, problems=problems,
                               stale_after=timedelta(seconds=con.offline_window_seconds or 300))
        return page, 422 if problems else 200

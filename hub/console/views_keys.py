"""The console's keys page: list a hub's API keys, create one (shown once), restrict, rotate or revoke one.

A key can be bound to source networks (CIDR, one a line) and given an expiry; the expiry is typed in the
hub's own time zone (a datetime-local field) and stored in UTC. Rotating creates the replacement, shows it
once like a new key, and lets the old key work for the overlap the operator chose.

The same service functions as the admin API and the CLI (hub.keys). A new key's plaintext goes from
the create POST to the page that shows it sealed with the hub's vault in the session, and that page
takes it out of the session as it shows it: a second visit (or a reload) cannot show it again, and
the database holds only its hash.
"""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import abort, flash, redirect, render_template, request, session, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from hub.console import console
from hub.console.auth import hub_or_404, login_required
from hub.keys import (
    SCOPES,
    KeyIssueError,
    KeyNetworkError,
    hub_keys,
    issue_key,
    restrict_key,
    revoke_key,
    rotate_key,
)
from hub.models import ApiKey, Connection, Hub
from hub.runtime import get_runtime

_NEW_KEY = "console_new_key"
SCOPE_HELP = {
    "automation": "for Zapier, n8n and other automation tools: triggers, lookups and actions",
    "pos": "for one POS system that calls the hub itself (pick its connection)",
    "admin": "for support tools and scripts: everything, including connections and keys",
}


NETWORKS_HELP = (
    "One network a line, in CIDR form (IPv4 or IPv6); requests from anywhere else are refused. "
    "For a self-hosted n8n at 203.0.113.25, write 203.0.113.25/32. Leave empty to allow anywhere. "
    "Zapier's addresses change on most plans: restrict Zapier keys by expiry and rotation instead."
)
ROTATE_OVERLAPS = (
    (0, "at once (the old key stops working now)"),
    (3600, "after 1 hour"),
    (86400, "after 24 hours"),
    (7 * 86400, "after 7 days"),
)
_LOCAL_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S")


def _zone(hub: Hub) -> ZoneInfo:
    try:
        return ZoneInfo(hub.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _parse_networks(text: str) -> tuple[list[str] | None, list[str]]:
    """The CIDR lines of a textarea (None when empty) and the messages about bad lines."""
    lines = [line.strip() for line in text.replace(",", "\n").splitlines() if line.strip()]
    errors = []
    for line in lines:
        try:
            ipaddress.ip_network(line, strict=False)
        except ValueError:
            errors.append(f"“{line}” is not a network: write an address with its prefix length, "
                          "e.g. 203.0.113.25/32 or 2001:db8::/64.")
    return (lines or None), errors


def _parse_expiry(text: str, hub: Hub) -> tuple[datetime | None, list[str]]:
    """A datetime-local value read in the hub's time zone, in UTC; None when empty."""
    if not text:
        return None, []
    for fmt in _LOCAL_FORMATS:
        try:
            local = datetime.strptime(text, fmt)
            break
        except ValueError:
            continue
    else:
        return None, ["Give the date and time as YYYY-MM-DD HH:MM."]
    when = local.replace(tzinfo=_zone(hub)).astimezone(UTC)
    if when <= datetime.now(UTC):
        return None, ["Choose a time in the future (to stop the key now, revoke it)."]
    return when, []


def local_input(when: datetime | None, hub: Hub) -> str:
    """A UTC time as the value of a datetime-local field in the hub's time zone."""
    if when is None:
        return ""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(_zone(hub)).strftime("%Y-%m-%dT%H:%M")


def _restriction_errors(form: dict[str, str], hub: Hub) -> tuple[list[str] | None, datetime | None,
                                                                   dict[str, list[str]]]:
    networks, network_errors = _parse_networks(form["allowed_networks"])
    expires_at, expiry_errors = _parse_expiry(form["expires_at"], hub)
    errors = {}
    if network_errors:
        errors["allowed_networks"] = network_errors
    if expiry_errors:
        errors["expires_at"] = expiry_errors
    return networks, expires_at, errors


def _connections(db_session: Any, hub_id: str) -> list[Connection]:
    return list(db_session.scalars(select(Connection).where(Connection.hub_id == hub_id)
                                   .order_by(Connection.name, Connection.id)))


def _own_key(db_session: Any, hub_id: str, key_id: str) -> ApiKey:
    key = db_session.scalar(select(ApiKey).where(ApiKey.id == key_id, ApiKey.hub_id == hub_id))
    if key is None:
        abort(404)
    return key


def _own_key_and_connection(db_session: Any, hub_id: str, key_id: str) -> tuple[ApiKey, Connection | None]:
    key = _own_key(db_session, hub_id, key_id)
    return key, db_session.get(Connection, key.connection_id) if key.connection_id else None


def _keys_page(hub_id: str, form: dict[str, str] | None = None, errors: dict[str, list[str]] | None = None,
               status: int = 200) -> tuple[str, int]:
    with get_runtime().db.session() as s:
        hub = hub_or_404(s, hub_id)
        connections = _connections(s, hub_id)
        names = {c.id: c.name for c in connections}
        return render_template(
            "console/keys.html", hub=hub, keys=hub_keys(s, hub_id), connections=connections,
            connection_names=names, scopes=SCOPES, scope_help=SCOPE_HELP, form=form or {},
            errors=errors or {}, networks_help=NETWORKS_HELP, now=datetime.now(UTC),
        ), status


@console.get("/hubs/<hub_id>/keys")
@login_required
def keys(hub_id: str) -> tuple[str, int]:
    """The hub's keys (never their secrets) and the form to create one."""
    return _keys_page(hub_id, form={"scope": request.args.get("scope", "automation")})


def _form_errors(form: dict[str, str]) -> dict[str, list[str]]:
    errors = {}
    if form["scope"] not in SCOPES:
        errors["scope"] = ["Choose what the key is for."]
    if form["scope"] == "pos" and not form["connection_id"]:
        errors["connection_id"] = ["A POS key works for one POS connection: choose it."]
    if len(form["name"]) > 200:
        errors["name"] = ["Keep the name under 200 characters."]
    return errors


@console.post("/hubs/<hub_id>/keys")
@login_required
def create_key(hub_id: str) -> Response | tuple[str, int]:
    """Create a key and show it once (on key_created)."""
    form = {name: request.form.get(name, "").strip()
            for name in ("scope", "name", "connection_id", "allowed_networks", "expires_at")}
    if form["scope"] != "pos":
        form["connection_id"] = ""
    rt = get_runtime()
    with rt.db.session() as s:
        hub = hub_or_404(s, hub_id)
        networks, expires_at, errors = _restriction_errors(form, hub)
    errors.update(_form_errors(form))
    if errors:
        return _keys_page(hub_id, form, errors, 422)
    try:
        with rt.db.session() as s:
            hub_or_404(s, hub_id)
            issued = issue_key(s, hub_id, form["scope"], form["connection_id"] or None, form["name"] or None,
                               allowed_networks=networks, expires_at=expires_at)
            key_id = issued.record.id
            sealed = rt.vault.encrypt_json(issued.key)
    except KeyNetworkError as exc:  # the service's own check of the networks
        return _keys_page(hub_id, form, {"allowed_networks": [str(exc)]}, 422)
    except KeyIssueError as exc:
        return _keys_page(hub_id, form, {"connection_id": [str(exc)]}, 422)
    # Sealed: the session is a signed cookie, readable by its holder but not meant to carry secrets.
    session[_NEW_KEY] = {"key_id": key_id, "sealed": sealed}
    return redirect(url_for("console.key_created", hub_id=hub_id, key_id=key_id), 303)


@console.get("/hubs/<hub_id>/keys/<key_id>/created")
@login_required
def key_created(hub_id: str, key_id: str) -> tuple[str, int, dict[str, str]]:
    """The new key, shown this once; later visits say it cannot be shown again."""
    rt = get_runtime()
    with rt.db.session() as s:
        hub = hub_or_404(s, hub_id)
        key, connection = _own_key_and_connection(s, hub_id, key_id)
        pending = session.get(_NEW_KEY)
        plaintext = None
        replaced = None
        if pending and pending.get("key_id") == key_id:
            session.pop(_NEW_KEY, None)
            plaintext = rt.vault.decrypt_json(pending["sealed"])
            if pending.get("replaces"):
                replaced = s.scalar(select(ApiKey).where(ApiKey.id == pending["replaces"],
                                                         ApiKey.hub_id == hub_id))
        page = render_template("console/key_created.html", hub=hub, key=key, connection=connection,
                               plaintext=plaintext, base_url=rt.settings.base_url, replaced=replaced,
                               now=datetime.now(UTC))
    # Never cached: the page with the key exists once, in this answer.
    return page, 200, {"Cache-Control": "no-store"}


@console.get("/hubs/<hub_id>/keys/<key_id>/revoke")
@login_required
def key_revoke(hub_id: str, key_id: str) -> str:
    """Ask before revoking: what stops working."""
    with get_runtime().db.session() as s:
        hub = hub_or_404(s, hub_id)
        key, connection = _own_key_and_connection(s, hub_id, key_id)
        return render_template("console/key_revoke.html", hub=hub, key=key, connection=connection)


@console.post("/hubs/<hub_id>/keys/<key_id>/revoke")
@login_required
def revoke(hub_id: str, key_id: str) -> Response:
    """Revoke the key (it stops working at once) and go back to the list."""
    with get_runtime().db.session() as s:
        hub_or_404(s, hub_id)
        key = _own_key(s, hub_id, key_id)
        label = key.name or f"hub_{key.prefix}_…"
        if revoke_key(s, key_id, hub_id):
            flash(f"The key {label} is revoked: it no longer works.", "success")
        else:
            flash(f"The key {label} was already revoked.", "info")
    return redirect(url_for("console.keys", hub_id=hub_id), 303)


def _restrict_page(hub_id: str, key_id: str, form: dict[str, str] | None = None,
                   errors: dict[str, list[str]] | None = None, status: int = 200) -> tuple[str, int]:
    with get_runtime().db.session() as s:
        hub = hub_or_404(s, hub_id)
        key = _own_key(s, hub_id, key_id)
        if form is None:
            form = {"allowed_networks": "\n".join(key.allowed_networks or []),
                    "expires_at": local_input(key.expires_at, hub)}
        return render_template("console/key_restrict.html", hub=hub, key=key, form=form, errors=errors or {},
                               networks_help=NETWORKS_HELP, now=datetime.now(UTC)), status


@console.get("/hubs/<hub_id>/keys/<key_id>/restrict")
@login_required
def key_restrict(hub_id: str, key_id: str) -> tuple[str, int]:
    """The key's allowed networks and expiry, to edit."""
    return _restrict_page(hub_id, key_id)


@console.post("/hubs/<hub_id>/keys/<key_id>/restrict")
@login_required
def restrict(hub_id: str, key_id: str) -> Response | tuple[str, int]:
    """Save the key's allowed networks and expiry (errors next to their field)."""
    form = {name: request.form.get(name, "").strip() for name in ("allowed_networks", "expires_at")}
    with get_runtime().db.session() as s:
        hub = hub_or_404(s, hub_id)
        key = _own_key(s, hub_id, key_id)
        if key.revoked_at is not None:
            revoked = {"": ["This key is revoked: it cannot be changed."]}
            return _restrict_page(hub_id, key_id, form, revoked, 409)
        networks, expires_at, errors = _restriction_errors(form, hub)
        if not errors:
            try:
                restrict_key(s, key_id, hub_id, networks, expires_at)
            except KeyNetworkError as exc:
                errors = {"allowed_networks": [str(exc)]}
                s.rollback()
            except (ValueError, LookupError) as exc:
                errors = {"": [str(exc)]}
                s.rollback()
        label = key.name or f"hub_{key.prefix}_…"
    if errors:
        return _restrict_page(hub_id, key_id, form, errors, 422)
    flash(f"The key {label} is updated: "
          f"{'only from ' + ', '.join(networks) if networks else 'works from anywhere'}"
          f"{', until it expires' if expires_at else ', no expiry'}.", "success")
    return redirect(url_for("console.keys", hub_id=hub_id), 303)


@console.get("/hubs/<hub_id>/keys/<key_id>/rotate")
@login_required
def key_rotate(hub_id: str, key_id: str) -> str:
    """Ask before rotating: how long the old key keeps working."""
    with get_runtime().db.session() as s:
        hub = hub_or_404(s, hub_id)
        key, connection = _own_key_and_connection(s, hub_id, key_id)
        return render_template("console/key_rotate.html", hub=hub, key=key, connection=connection,
                               overlaps=ROTATE_OVERLAPS, chosen=86400, errors={})


@console.post("/hubs/<hub_id>/keys/<key_id>/rotate")
@login_required
def rotate(hub_id: str, key_id: str) -> Response | tuple[str, int]:
    """Create the replacement (shown once, like a new key); the old key works for the chosen overlap."""
    rt = get_runtime()
    choices = {str(seconds): seconds for seconds, _ in ROTATE_OVERLAPS}
    chosen = request.form.get("overlap_seconds", "")
    with rt.db.session() as s:
        hub = hub_or_404(s, hub_id)
        key = _own_key(s, hub_id, key_id)
        error = None
        if chosen not in choices:
            error = "Choose how long the old key keeps working."
        elif key.revoked_at is not None:
            error = "This key is revoked: create a new key instead."
        else:
            try:
                issued = rotate_key(s, key_id, hub_id, choices[chosen])
                new_id = issued.record.id
                sealed = rt.vault.encrypt_json(issued.key)
            except (ValueError, LookupError) as exc:
                error = str(exc)
                s.rollback()
        if error:
            connection = s.get(Connection, key.connection_id) if key.connection_id else None
            return render_template("console/key_rotate.html", hub=hub, key=key, connection=connection,
                                   overlaps=ROTATE_OVERLAPS, chosen=choices.get(chosen),
                                   errors={"overlap_seconds": [error]}), 422
    session[_NEW_KEY] = {"key_id": new_id, "sealed": sealed, "replaces": key_id}
    return redirect(url_for("console.key_created", hub_id=hub_id, key_id=new_id), 303)

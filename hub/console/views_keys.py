"""The console's keys page: list a hub's API keys, create one (shown once), revoke one after confirming.

The same service functions as the admin API and the CLI (hub.keys). A new key's plaintext goes from
the create POST to the page that shows it sealed with the hub's vault in the session, and that page
takes it out of the session as it shows it: a second visit (or a reload) cannot show it again, and
the database holds only its hash.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, session, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from hub.console import console
from hub.console.auth import hub_or_404, login_required
from hub.keys import SCOPES, KeyIssueError, hub_keys, issue_key, revoke_key
from hub.models import ApiKey, Connection
from hub.runtime import get_runtime

_NEW_KEY = "console_new_key"
SCOPE_HELP = {
    "automation": "for Zapier, n8n and other automation tools: triggers, lookups and actions",
    "pos": "for one POS system that calls the hub itself (pick its connection)",
    "admin": "for support tools and scripts: everything, including connections and keys",
}


def _connections(db_session: Any, hub_id: str) -> list[Connection]:
    return list(db_session.scalars(select(Connection).where(Connection.hub_id == hub_id)
                                   .order_by(Connection.name, Connection.id)))


def _own_key(db_session: Any, hub_id: str, key_id: str) -> ApiKey:
    key = db_session.scalar(select(ApiKey).where(ApiKey.id == key_id, ApiKey.hub_id == hub_id))
    if key is None:
        abort(404)
    return key


def _keys_page(hub_id: str, form: dict[str, str] | None = None, errors: dict[str, list[str]] | None = None,
               status: int = 200) -> tuple[str, int]:
    with get_runtime().db.session() as s:
        hub = hub_or_404(s, hub_id)
        connections = _connections(s, hub_id)
        names = {c.id: c.name for c in connections}
        return render_template(
            "console/keys.html", hub=hub, keys=hub_keys(s, hub_id), connections=connections,
            connection_names=names, scopes=SCOPES, scope_help=SCOPE_HELP, form=form or {},
            errors=errors or {},
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
    form = {name: request.form.get(name, "").strip() for name in ("scope", "name", "connection_id")}
    if form["scope"] != "pos":
        form["connection_id"] = ""
    errors = _form_errors(form)
    if errors:
        return _keys_page(hub_id, form, errors, 422)
    rt = get_runtime()
    try:
        with rt.db.session() as s:
            hub_or_404(s, hub_id)
            issued = issue_key(s, hub_id, form["scope"], form["connection_id"] or None, form["name"] or None)
            key_id = issued.record.id
            sealed = rt.vault.encrypt_json(issued.key)
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
        key = _own_key(s, hub_id, key_id)
        connection = s.get(Connection, key.connection_id) if key.connection_id else None
        pending = session.get(_NEW_KEY)
        plaintext = None
        if pending and pending.get("key_id") == key_id:
            session.pop(_NEW_KEY, None)
            plaintext = rt.vault.decrypt_json(pending["sealed"])
        page = render_template("console/key_created.html", hub=hub, key=key, connection=connection,
                               plaintext=plaintext, base_url=rt.settings.base_url)
    # Never cached: the page with the key exists once, in this answer.
    return page, 200, {"Cache-Control": "no-store"}


@console.get("/hubs/<hub_id>/keys/<key_id>/revoke")
@login_required
def key_revoke(hub_id: str, key_id: str) -> str:
    """Ask before revoking: what stops working."""
    with get_runtime().db.session() as s:
        hub = hub_or_404(s, hub_id)
        key = _own_key(s, hub_id, key_id)
        connection = s.get(Connection, key.connection_id) if key.connection_id else None
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

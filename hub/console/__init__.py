"""The support console: server-rendered pages at /console for support staff (issue 15, DESIGN.md §6b).

Not part of the API: it is not in /openapi.json, it signs in with a cookie session (operators, or a
hub's own admin key for that hub only) and every POST carries a CSRF token.

This module holds the blueprint, its template helpers and error pages only: the view modules import
`console` from here, and hub.console.setup imports them (no import cycle), then registers it all.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from flask import Blueprint, render_template, request, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.routing import BuildError

log = logging.getLogger(__name__)

console = Blueprint(
    "console", __name__, url_prefix="/console", template_folder="templates", static_folder="static",
    static_url_path="/static",
)


@console.app_template_global()
def console_url(endpoint: str, **values: object) -> str | None:
    """url_for, or None while the endpoint does not exist (a section not written yet)."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def _plural(n: int, unit: str) -> str:
    return f"{n} {unit}{'' if n == 1 else 's'}"


@console.app_template_filter("ago")
def ago(when: datetime | None, now: datetime | None = None, never: str = "never") -> str:
    """'3 minutes ago' or 'in 2 hours' (for times to come); `never` for None."""
    if when is None:
        return never
    now = now or datetime.now(UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    seconds = int((now - when).total_seconds())
    future, seconds = seconds < 0, abs(seconds)
    if seconds < 45:
        return "in a few seconds" if future else "just now"
    units = ((86400 * 365, "year"), (86400 * 30, "month"), (86400, "day"), (3600, "hour"), (60, "minute"))
    for size, unit in units:
        if seconds >= size or unit == "minute":  # 45 to 59 seconds: "1 minute"
            text = _plural(round(seconds / size) if size == 60 else seconds // size, unit)
            return f"in {text}" if future else f"{text} ago"
    raise AssertionError("unreachable")


@console.app_template_filter("utc")
def utc_text(when: datetime | None) -> str:
    """The exact time in UTC, e.g. 2026-11-29 01:08 UTC (a tooltip next to 'ago')."""
    if when is None:
        return ""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")

_ERROR_PAGES = {
    403: ("Not allowed", "You are signed in, but this action is not open to you."),
    404: ("Not found", "This page does not exist, or it belongs to a hub you cannot see. Check the address, "
          "or go back to the list."),
    405: ("Not possible here", "This address does not take that kind of request. "
          "Use the buttons on the pages."),
    413: ("Too much data", "What you sent is larger than the hub accepts. Send less at once."),
}


@console.errorhandler(HTTPException)
def error_page(exc: HTTPException):  # noqa: ANN201
    """Errors of console views as pages, not the API's problem JSON."""
    status = exc.code or 500
    title, message = _ERROR_PAGES.get(status, (exc.name, exc.description or ""))
    return render_template("console/error.html", status=status, title=title, message=message), status


@console.errorhandler(Exception)
def _unexpected(exc: Exception):  # noqa: ANN202
    log.exception("unhandled error on %s %s", request.method, request.path)
    return render_template("console/error.html", status=500, title="Something went wrong",
                           message="An unexpected error occurred; it has been logged. Try again, and if it "
                           "happens again, tell the hub's developers what you did."), 500

"""Puts the console together: every view module's routes, the sign-in and CSRF checks, the session."""

from __future__ import annotations

from flask import Flask

# The view modules register their routes on the blueprint; imported for that side effect.
from hub.console import (  # noqa: F401
    auth,
    console,
    csrf,
    error_page,
    views_activity,
    views_connections,
    views_hubs,
    views_keys,
    views_start,
)
from hub.console.session import configure_session
from hub.errors import ERROR_PAGES

# Before every console view, in this order: a signed-out visitor goes to the sign-in page (a POST too:
# its session, and so its token, is gone), then a POST without a valid CSRF token is refused.
console.before_request(auth.require_sign_in)
console.before_request(csrf.check_csrf)


def init_console(app: Flask) -> None:
    """Configure the console's session cookie and register the blueprint on the app; a /console address
    that matches no route gets the console's error page, not the API's problem JSON."""
    configure_session(app)
    app.register_blueprint(console)
    app.extensions.setdefault(ERROR_PAGES, {})["/console"] = error_page

"""The Flask app factory."""

from __future__ import annotations

from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from hub.config import Settings
from hub.errors import install_error_handlers
from hub.logs import configure_logging_once, install_request_context
from hub.request_guard import install_request_guard
from hub.runtime import Runtime, set_runtime


def create_app(settings: Settings | None = None, **overrides: Any) -> Flask:
    """Build the hub's web app; settings come from the environment unless given."""
    settings = settings or Settings.from_env(**overrides)
    runtime = set_runtime(Runtime(settings))
    app = Flask(__name__, static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["hub_runtime"] = runtime
    if settings.trusted_proxies > 0:
        # request.remote_addr becomes the address the trusted proxies saw; without them X-Forwarded-For
        # is ignored (anyone can send it).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxies)  # type: ignore[method-assign]
    install_error_handlers(app)
    from hub.observability.exposition import install_request_metrics

    install_request_metrics(app)  # first, so requests the guard refuses are counted too
    install_request_guard(app)
    install_request_context(app)  # its before_request hook goes first, ahead of the guard's
    # Imported here, as before: importing any hub module runs hub/__init__, which must stay light.
    from hub.openapi import register_api

    register_api(app)
    from hub.console.setup import init_console

    init_console(app)
    configure_logging_once(settings)
    return app

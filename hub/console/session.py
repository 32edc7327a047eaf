"""The console's cookie session: Flask's signed cookie, its key derived from HUB_SECRET_KEYS.

Every gunicorn worker derives the same key (HKDF, label "console-session"), so a session signed by
one worker is read by all. The cookie is HttpOnly, SameSite=Lax, Secure unless the hub is served over
plain http on localhost (HUB_CONSOLE_SECURE_COOKIE overrides), and lasts 8 hours.
"""

from __future__ import annotations

import os
from datetime import timedelta
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import Flask

from hub.crypto import _local_key
from hub.runtime import Runtime

COOKIE_NAME = "hub_console"
LIFETIME = timedelta(hours=8)
_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


def session_key(runtime: Runtime) -> bytes:
    """The session signing key: HKDF over the first secret key (or the embedded default's key file)."""
    settings = runtime.settings
    if settings.secret_keys:
        material = settings.secret_keys[0]
    elif settings.database_url.startswith("sqlite"):
        material = _local_key()
    else:
        # Same message as the vault: a server database needs configured keys.
        runtime.vault  # noqa: B018  raises SecretsUnavailable
        raise AssertionError("unreachable")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"console-session").derive(
        material.encode()
    )


def secure_cookie(base_url: str, override: str | None = None) -> bool:
    """Secure cookies, except for plain http on localhost; an explicit setting wins."""
    if override is not None and override.strip():
        return override.strip().lower() in {"1", "true", "yes", "on"}
    parts = urlsplit(base_url)
    return not (parts.scheme == "http" and (parts.hostname or "") in _LOCAL_HOSTS)


def configure_session(app: Flask) -> None:
    """Set the app's secret key and session cookie flags for the console."""
    runtime: Runtime = app.extensions["hub_runtime"]
    app.secret_key = session_key(runtime)
    app.config.update(
        SESSION_COOKIE_NAME=COOKIE_NAME,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_PATH="/console",
        SESSION_COOKIE_SECURE=secure_cookie(runtime.settings.base_url,
                                            os.environ.get("HUB_CONSOLE_SECURE_COOKIE")),
        PERMANENT_SESSION_LIFETIME=LIFETIME,
        # The token lives in the session, which expires itself; no separate one-hour limit.
        WTF_CSRF_TIME_LIMIT=None,
    )

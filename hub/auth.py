"""Request authentication: API key from Authorization: Bearer or X-API-Key, then the scope check."""

from __future__ import annotations

import logging

from flask import Response, after_this_request, g, request

from hub.errors import ProblemError
from hub.keys import KeyRefused, Principal, authenticate_cached, flush_key_use, note_key_use
from hub.logs import bind_principal
from hub.ratelimit import check_rate_limit
from hub.runtime import get_runtime


def presented_key() -> str | None:
    """The key the caller sent, if any."""
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return request.headers.get("X-API-Key", "").strip() or None


def current_principal() -> Principal:
    """The authenticated caller of this request (once its endpoint has authorized it)."""
    return g.principal


def authorize(scopes: tuple[str, ...]) -> Principal:
    """Authenticate the request (401) and allow it only for a key whose scope is one of `scopes` (403).

    Called by the endpoint declarations (hub.endpoints), which list every scope allowed: the scopes
    /openapi.json advertises are exactly the ones checked here.
    """
    key = presented_key()
    if key is None:
        raise ProblemError(401, "Send an API key as 'Authorization: Bearer <key>' or 'X-API-Key'.",
                           headers={"WWW-Authenticate": 'Bearer realm="pos-hub"'})
    address = request.remote_addr  # the client's, behind HUB_TRUSTED_PROXIES proxies (ProxyFix)
    try:
        principal = authenticate_cached(get_runtime().db, key, address)
    except KeyRefused as exc:
        headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'} if exc.status == 401 else None
        raise ProblemError(exc.status, exc.detail, headers=headers) from exc
    if principal is None:
        raise ProblemError(401, "The API key is unknown or has been revoked.",
                           headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    bind_principal(principal.hub_id, principal.connection_id)  # the request's log lines name them from here
    if principal.scope not in scopes:
        raise ProblemError(
            403, f"A key with scope '{principal.scope}' cannot use this endpoint; "
            f"it needs scope {' or '.join(repr(s) for s in scopes)}.")
    g.principal = principal
    check_rate_limit(principal.key_id)
    if note_key_use(principal.key_id, address):
        _flush_after_response(principal.key_id)
    return principal


log = logging.getLogger(__name__)


def _flush_after_response(key_id: str) -> None:
    """Write the key's last use once the response has gone (at most once a minute per key and process)."""
    db = get_runtime().db

    def flush() -> None:
        try:
            flush_key_use(db, key_id)
        except Exception:  # noqa: BLE001 - only bookkeeping; the next due use writes it
            log.warning("could not record the last use of key %s", key_id, exc_info=True)

    @after_this_request
    def schedule(response: Response) -> Response:
        response.call_on_close(flush)
        return response

"""Request authentication: API key from Authorization: Bearer or X-API-Key, then scope checks."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import g, request

from hub.errors import ProblemError
from hub.keys import Principal, authenticate
from hub.runtime import get_runtime

F = TypeVar("F", bound=Callable[..., Any])

# admin can do everything automation can; pos keys only reach the POS endpoints.
_IMPLIED = {"admin": {"admin", "automation"}, "automation": {"automation"}, "pos": {"pos"}}


def presented_key() -> str | None:
    """The key the caller sent, if any."""
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return request.headers.get("X-API-Key", "").strip() or None


def current_principal() -> Principal:
    """The authenticated caller of this request (after require_scope)."""
    return g.principal


def require_scope(*scopes: str) -> Callable[[F], F]:
    """Authenticate the request and allow it only for keys whose scope grants one of `scopes`."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            key = presented_key()
            if key is None:
                raise ProblemError(401, "Send an API key as 'Authorization: Bearer <key>' or 'X-API-Key'.",
                                   headers={"WWW-Authenticate": 'Bearer realm="pos-hub"'})
            with get_runtime().db.session() as session:
                principal = authenticate(session, key)
            if principal is None:
                raise ProblemError(401, "The API key is unknown or has been revoked.",
                                   headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
            if not _IMPLIED[principal.scope] & set(scopes):
                raise ProblemError(
                    403, f"A key with scope '{principal.scope}' cannot use this endpoint; "
                    f"it needs scope {' or '.join(repr(s) for s in scopes)}.")
            g.principal = principal
            from hub.ratelimit import check_rate_limit

            check_rate_limit(principal.key_id)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate

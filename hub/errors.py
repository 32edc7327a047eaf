"""RFC 9457 problem JSON for every error the API returns."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

PROBLEM_TYPE_BASE = "https://pos-hub.dev/problems/"

TITLES = {
    400: "Malformed request",
    401: "Missing or invalid API key",
    403: "This key's scope does not allow this",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request body too large",
    414: "URI too long",
    415: "Unsupported media type",
    422: "The request does not match the contract",
    429: "Too many requests",
    431: "Request header fields too large",
    500: "Internal error",
    503: "Service unavailable",
}

SLUGS = {
    400: "malformed-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    413: "payload-too-large",
    414: "uri-too-long",
    415: "unsupported-media-type",
    422: "validation-failed",
    429: "rate-limited",
    431: "header-fields-too-large",
    500: "internal-error",
    503: "unavailable",
}


class ProblemError(Exception):
    """An error answered as problem JSON; `errors` lists each bad field by JSON pointer."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        errors: list[dict[str, str]] | None = None,
        title: str | None = None,
        headers: dict[str, str] | None = None,
        slug: str | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors or []
        self.title = title or TITLES.get(status, "Error")
        self.headers = headers or {}
        self.slug = slug or SLUGS.get(status, "error")


def not_found(what: str = "resource") -> ProblemError:
    """A 404 that never says whether the id exists in another hub."""
    return ProblemError(404, f"No {what} with this id in this hub.")


def validation_error(errors: list[dict[str, str]], detail: str | None = None) -> ProblemError:
    """A 422 listing every violated path."""
    if detail is None:
        detail = "; ".join(f"{e['path'] or '/'}: {e['message']}" for e in errors[:5])
        if len(errors) > 5:
            detail += f"; and {len(errors) - 5} more"
    return ProblemError(422, detail, errors=errors)


# RFC 3986 pchar and "/": what may stand unescaped in a path.
_PATH_SAFE = "/!$&'()*+,;=:@-._~"


def request_uri() -> str:
    """The request's path as a valid URI reference: spaces, NUL, non-ASCII and the like percent-encoded."""
    return quote(request.path, safe=_PATH_SAFE, errors="replace")


def problem_response(problem: ProblemError) -> Response:
    """Render a ProblemError as an application/problem+json response."""
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + problem.slug,
        "title": problem.title,
        "status": problem.status,
        "detail": problem.detail,
        "errors": problem.errors,
    }
    if request:
        body["instance"] = request_uri()
    response = Response(json.dumps(body), status=problem.status, mimetype="application/problem+json")
    for name, value in problem.headers.items():
        response.headers[name] = value
    return response


# app.extensions key: {path prefix: handler} for URLs under a prefix that no route matches (so no
# blueprint's own handler runs) and that answer a page rather than problem JSON (hub.console: /console).
ERROR_PAGES = "hub.error_pages"


def _page_handler(app: Flask) -> Callable[[HTTPException], Any] | None:
    for prefix, handler in app.extensions.get(ERROR_PAGES, {}).items():
        if request.path == prefix or request.path.startswith(prefix + "/"):
            return handler
    return None


def install_error_handlers(app: Flask) -> None:
    """Turn every error, including Werkzeug's and unexpected ones, into problem JSON (pages under the
    prefixes registered in app.extensions[ERROR_PAGES])."""

    @app.errorhandler(ProblemError)
    def _problem(exc: ProblemError) -> Response:
        return problem_response(exc)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Any:
        if request.blueprint is None and (page := _page_handler(app)):
            return page(exc)
        status = exc.code or 500
        detail = exc.description or TITLES.get(status, "Error")
        if status == 404:
            detail = f"No endpoint {request.method} {request.path}. See /openapi.json for the API."
        elif status == 405:
            allowed = exc.get_headers() and dict(exc.get_headers()).get("Allow")
            detail = f"{request.method} is not allowed on {request.path}" + (
                f"; allowed: {allowed}" if allowed else ""
            )
        elif status == 413:
            limit = app.config.get("MAX_CONTENT_LENGTH")
            detail = f"The request body is larger than the limit of {limit} bytes."
        headers = {}
        if status == 405 and (allow := dict(exc.get_headers()).get("Allow")):
            headers["Allow"] = allow
        return problem_response(ProblemError(status, detail, headers=headers))

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return problem_response(
            ProblemError(500, "An unexpected error occurred; it has been logged. Please try again.")
        )

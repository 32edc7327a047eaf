"""Checks on every request before any view runs: size limits, and NUL where no view expects it.

PostgreSQL refuses text with a NUL character, so an id or a filter holding one would turn into a
500 wherever it reaches a query; no id, filter or header of the API can hold one, so they are
refused here, once. The size limits sit below gunicorn's (gunicorn.conf.py), so that what gunicorn
would refuse with its own HTML page mostly gets problem JSON from the app instead.
"""

from __future__ import annotations

from flask import Flask, request

from hub.errors import ProblemError, request_uri, validation_error

MAX_URL_BYTES = 4096  # path and query string as sent
MAX_HEADERS = 100
MAX_HEADER_BYTES = 8190  # one "Name: value" field

# gunicorn's limits (gunicorn.conf.py), set above the app's; past them gunicorn answers with a page
# of its own that is no problem JSON. 8190 is the longest request line gunicorn can be set to take.
SERVER_MAX_REQUEST_LINE = 8190
SERVER_MAX_HEADERS = 2 * MAX_HEADERS
SERVER_MAX_HEADER_BYTES = 2 * MAX_HEADER_BYTES


def _url_bytes() -> int:
    """The length of the URL as sent: gunicorn keeps it in RAW_URI, which other servers fill in part."""
    rebuilt = len(request_uri()) + (1 + len(request.query_string) if request.query_string else 0)
    return max(len(request.environ.get("RAW_URI", "")), rebuilt)


def _check_sizes() -> None:
    if _url_bytes() > MAX_URL_BYTES:
        raise ProblemError(414, f"The URL is longer than {MAX_URL_BYTES} bytes.")
    if len(request.headers) > MAX_HEADERS:
        raise ProblemError(431, f"The request has more than {MAX_HEADERS} header fields.")
    for name, value in request.headers.items():
        if len(name) + 2 + len(value) > MAX_HEADER_BYTES:
            raise ProblemError(431, f"The {name} header is longer than {MAX_HEADER_BYTES} bytes.")


def _check_nul() -> None:
    if "\x00" in request.path:
        raise ProblemError(404, "No such object: the path contains a NUL character (%00), which no id holds.",
                           errors=[{"path": "", "message": "the URL path must not contain %00"}])
    bad = dict.fromkeys(name for name, value in request.args.items(multi=True)
                        if "\x00" in name or "\x00" in value)
    if bad:
        raise validation_error([{"path": f"/{name}", "message": f"'{name}' must not contain a NUL character "
                                 "(%00)."} for name in bad])
    for name, value in request.headers.items():
        if "\x00" in value:
            raise ProblemError(400, f"The {name} header contains a NUL character.",
                               errors=[{"path": "", "message": f"the {name} header must not contain NUL"}])


def install_request_guard(app: Flask) -> None:
    """Run the size and NUL checks before every request's view."""
    app.before_request(_check_sizes)
    app.before_request(_check_nul)

"""Logging: plain text by default, one JSON object a line with HUB_LOG_FORMAT=json, and the context
(request id, hub, connection, job) every log line of a request or job carries.

The context lives in contextvars: the request hooks (install_request_context) set the request id, the
authentication sets the hub and connection once the key is known (bind_principal), and the job queues
capture the request id and hub when a job is enqueued (carried_context) and restore them around the job
(job_context), so the log lines of the jobs a request enqueues carry that request's id.

Every LogRecord gets the known context as `record.log_context` (a dict) when it is made, in whatever
thread or handler; a field given with `extra=` overrides it.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask, Response

    from hub.config import Settings

REQUEST_ID_HEADER = "X-Request-Id"
# A request id taken from the client: a token safe to echo in a header and to write in a log line.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")
FIELDS = ("request_id", "hub_id", "connection_id", "job_id")
# The fields a job inherits from the context that enqueued it (a job may be about another connection).
CARRIED = ("request_id", "hub_id")
LOG_FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

_vars: dict[str, ContextVar[str | None]] = {name: ContextVar(f"hub_log_{name}", default=None)
                                            for name in FIELDS}


def log_context() -> dict[str, str]:
    """The context fields known here and now."""
    return {name: value for name, var in _vars.items() if (value := var.get()) is not None}


def carried_context() -> dict[str, str]:
    """What a job enqueued here carries into its own log lines (the request id and hub, when known)."""
    return {name: value for name in CARRIED if (value := _vars[name].get()) is not None}


@contextmanager
def bound(**fields: str | None) -> Iterator[None]:
    """Set these context fields for the duration of the block, then restore the previous values."""
    tokens = [(_vars[name], _vars[name].set(value)) for name, value in fields.items()]
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


def job_context(job_id: str | None, carried: Mapping[str, Any] | None) -> Any:
    """The context of one job run: what its enqueuer carried (request id, hub) and its own job id.

    Fields of a carried mapping that are not context fields, or not strings, are ignored (rq job meta
    is read back from Redis)."""
    fields: dict[str, str | None] = {name: None for name in FIELDS}
    fields.update({name: value for name, value in (carried or {}).items()
                   if name in CARRIED and isinstance(value, str)})
    fields["job_id"] = job_id
    return bound(**fields)


def bind_principal(hub_id: str, connection_id: str | None) -> None:
    """Once a request's key is authenticated: its log lines name the hub (and the connection of a pos key)."""
    _vars["hub_id"].set(hub_id)
    _vars["connection_id"].set(connection_id)


# --- records and formatters -------------------------------------------------------------------------

_base_factory = logging.getLogRecordFactory()


def _record_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
    record = _base_factory(*args, **kwargs)
    record.log_context = log_context()
    return record


def _install_record_factory() -> None:
    if not getattr(logging.getLogRecordFactory(), "_hub_context", False):
        global _base_factory
        _base_factory = logging.getLogRecordFactory()
        _record_factory._hub_context = True  # type: ignore[attr-defined]
        logging.setLogRecordFactory(_record_factory)


_install_record_factory()


def record_context(record: logging.LogRecord) -> dict[str, str]:
    """The context fields of a record: those known when it was made, overridden by `extra=` ones."""
    fields = dict(getattr(record, "log_context", None) or {})
    for name in FIELDS:
        value = getattr(record, name, None)
        if value is not None:
            fields[name] = str(value)
    return {name: fields[name] for name in FIELDS if fields.get(name) is not None}


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (ISO 8601, UTC), level, logger, message, the known context fields,
    and exc_info (the formatted traceback) when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **record_context(record),
        }
        if record.exc_info:
            line["exc_info"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exc_info"] = record.exc_text
        if record.stack_info:
            line["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """The plain text of `make run`, with the known context fields after the message."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's naming
        text = super().formatMessage(record)
        context = record_context(record)
        if context:
            text += " [" + " ".join(f"{name}={value}" for name, value in context.items()) + "]"
        return text


def configure_logging(settings: Settings, stream: IO[str] | None = None) -> logging.Handler:
    """Send the root logger's records to stderr (or `stream`) as text or JSON, at HUB_LOG_LEVEL.

    Idempotent: the handler a previous call installed is replaced, never stacked."""
    if settings.log_format not in LOG_FORMATS:
        raise ValueError(f"HUB_LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, "
                         f"not {settings.log_format!r}")
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_hub_handler", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler._hub_handler = True  # type: ignore[attr-defined]
    handler.setFormatter(JsonFormatter() if settings.log_format == "json" else TextFormatter())
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    return handler


def configure_logging_once(settings: Settings) -> None:
    """Configure logging unless something else already did (gunicorn's log config, a test runner)."""
    root = logging.getLogger()
    if not root.handlers or any(getattr(h, "_hub_handler", False) for h in root.handlers):
        configure_logging(settings)


# --- request ids ---------------------------------------------------------------------------------------

def new_request_id() -> str:
    """A fresh request id."""
    return uuid.uuid4().hex


def accepted_request_id(value: str | None) -> str:
    """The client's X-Request-Id when it is a sane token (up to 128 of A-Z a-z 0-9 . _ -), else a new one."""
    if value is not None and _SANE_REQUEST_ID.fullmatch(value):
        return value
    return new_request_id()


def install_request_context(app: Flask) -> None:
    """Give every request an id (the client's X-Request-Id or a new one), return it as X-Request-Id on
    every response (errors and 404s too), and clear the request's log context when it ends.

    Install before any other before_request hook, so that what they log carries the id."""
    from flask import request

    def _start() -> None:
        _vars["request_id"].set(accepted_request_id(request.headers.get(REQUEST_ID_HEADER)))
        _vars["hub_id"].set(None)
        _vars["connection_id"].set(None)
        _vars["job_id"].set(None)

    def _answer(response: Response) -> Response:
        request_id = _vars["request_id"].get()
        if request_id is None:  # a hook before ours answered
            request_id = accepted_request_id(request.headers.get(REQUEST_ID_HEADER))
            _vars["request_id"].set(request_id)
        response.headers[REQUEST_ID_HEADER] = request_id
        return response

    def _end(exc: BaseException | None) -> None:
        for var in _vars.values():
            var.set(None)

    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request(_answer)
    app.teardown_request(_end)

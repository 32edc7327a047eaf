"""The calls the guarded client stops, and a description of any failed call that holds no URL, header or body.

requests' own exception texts include the request's path and query (where a token may travel) and the
pinned address; error texts shown to users (test results, last_error, dead letters) use describe() instead.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from typing import ClassVar
from urllib.parse import urlsplit

import requests

from hub.outbound.policy import OutboundRefused, PrivateAddress

ALLOW_LIST_HINT = "add the host to HUB_OUTBOUND_ALLOWED_HOSTS if it is a POS on a private network"


class OutboundFailure(requests.RequestException):
    """A call the hub's client stopped on purpose; `permanent`: retrying cannot help."""

    permanent: ClassVar[bool] = True


class Blocked(OutboundFailure):
    """The outbound policy refuses the address (scheme, private address, credentials in the URL)."""


class RedirectRefused(OutboundFailure):
    """The server answered with a redirect; the hub follows none."""


class TooLarge(OutboundFailure):
    """The answer was larger than the client reads."""


class DeadlineExceeded(requests.Timeout):
    """The whole call took longer than the client allows (a trickling answer); transient like any timeout."""


def refusal(exc: OutboundRefused) -> str:
    """A policy refusal of a POS address in words; for a private address, naming the setting to change."""
    return f"{exc}; {ALLOW_LIST_HINT}" if isinstance(exc, PrivateAddress) else str(exc)


def host_name(url: str | None) -> str:
    """The host name of a URL (never its path, query or credentials), or 'the server'."""
    return (urlsplit(url).hostname if url else None) or "the server"


def host_of(exc: requests.RequestException) -> str:
    """The host name the failed request was for, or 'the server'."""
    return host_name(getattr(exc.request, "url", None))


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception and what caused it, down to the socket error (through urllib3's `reason`s)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        reason = getattr(current, "reason", None)
        first = current.args[0] if current.args else None
        current = (reason if isinstance(reason, BaseException)
                   else first if isinstance(first, BaseException)
                   else current.__cause__ or current.__context__)


def _reason(exc: BaseException) -> str:
    """The deepest cause in words: a socket or TLS error's own text, which holds no URL."""
    for cause in reversed(list(_chain(exc))):
        if isinstance(cause, ssl.SSLCertVerificationError):
            return f"its TLS certificate was not accepted ({cause.verify_message})"
        if isinstance(cause, ssl.SSLError):
            return f"the TLS handshake failed ({cause.reason or 'unknown reason'})"
        if type(cause).__name__ == "CertificateError":  # urllib3's host name mismatch
            return "its TLS certificate is for another host name"
        if isinstance(cause, (TimeoutError, socket.timeout)):
            return "it did not answer in time"
        if isinstance(cause, socket.gaierror):
            return "its name could not be resolved"
        if type(cause).__module__ == "builtins" and isinstance(cause, OSError) and cause.strerror:
            return cause.strerror[0].lower() + cause.strerror[1:]
    return type(exc).__name__


def describe(exc: requests.RequestException) -> str:
    """What went wrong in a call that got no usable answer, naming the host but no URL, header or body."""
    if isinstance(exc, (OutboundFailure, DeadlineExceeded)):
        return str(exc)  # written by the client itself, without secrets
    host = host_of(exc)
    if isinstance(exc, requests.Timeout):
        return f"{host} did not answer in time"
    return f"could not reach {host}: {_reason(exc)}"

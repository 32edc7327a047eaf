"""Reading an answer under the client's caps: timeouts, a size limit and a deadline for the whole call."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import requests
from urllib3.exceptions import DecodeError, ProtocolError, ReadTimeoutError
from urllib3.exceptions import SSLError as TLSError

from hub.outbound.failures import DeadlineExceeded, TooLarge, host_name

CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 30.0
DEADLINE_SECONDS = 60.0
# Larger than any page a POS API sends (Simphony configuration pages of 5,000 records are a few MB).
MAX_RESPONSE_BYTES = 16 * 1024 * 1024
CHUNK_BYTES = 64 * 1024


def bounded_timeout(timeout: Any) -> tuple[float, float]:
    """(connect, read) timeouts from a caller's value, each at most the client's ceiling."""
    connect, read = timeout if isinstance(timeout, tuple) else (timeout, timeout)
    return min(connect or CONNECT_TIMEOUT, CONNECT_TIMEOUT), min(read or READ_TIMEOUT, READ_TIMEOUT)


def deadline() -> float:
    """The monotonic time by which a call starting now must have its whole answer."""
    return time.monotonic() + DEADLINE_SECONDS


def _arriving(response: requests.Response) -> Iterator[bytes]:
    """The decoded body as it arrives (read1 returns what the socket has: a trickle cannot hold a read)."""
    try:
        while chunk := response.raw.read1(CHUNK_BYTES, decode_content=True):
            yield chunk
    # The translations requests' iter_content makes, so callers see requests exceptions only.
    except ReadTimeoutError as exc:
        raise requests.ReadTimeout(exc, request=response.request) from exc
    except TLSError as exc:
        raise requests.exceptions.SSLError(exc, request=response.request) from exc
    except DecodeError as exc:
        raise requests.exceptions.ContentDecodingError(exc, request=response.request) from exc
    except ProtocolError as exc:
        raise requests.exceptions.ChunkedEncodingError(exc, request=response.request) from exc


def read_capped(response: requests.Response, until: float) -> None:
    """Read the whole answer into the response, or raise TooLarge / DeadlineExceeded having read no more."""
    host, limit = host_name(response.url), MAX_RESPONSE_BYTES
    too_large = TooLarge(f"{host} sent an answer larger than {limit // 1_048_576} MB, "
                         "more than the hub reads from one call", response=response)
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks, size = [], 0
    for chunk in _arriving(response):
        size += len(chunk)
        if size > limit:
            raise too_large
        if time.monotonic() > until:
            raise DeadlineExceeded(f"{host} did not finish its answer within {DEADLINE_SECONDS:g} seconds",
                                   request=response.request)
        chunks.append(chunk)
    # requests keeps a read body in _content; Response.content does the same once it has read the stream.
    response._content = b"".join(chunks)
    response._content_consumed = True

"""POSTing one delivery to a checked target: connected to the checked address, redirects never followed."""

from __future__ import annotations

from dataclasses import dataclass

import certifi
import urllib3
from urllib3.exceptions import HTTPError

from hub.hooks.targets import Target

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 10.0
# Enough of an error answer to show support staff why the target refused.
MAX_ANSWER_BYTES = 2048
CA_BUNDLE = certifi.where()
USER_AGENT = "pos-hub-webhooks/1.0"


class SendFailed(Exception):
    """The target could not be reached or did not answer in time."""


@dataclass(frozen=True)
class Answer:
    """What the target answered."""

    status: int
    headers: dict[str, str]
    text: str


def _pool(target: Target) -> urllib3.HTTPConnectionPool:
    timeout = urllib3.Timeout(connect=CONNECT_TIMEOUT, read=READ_TIMEOUT)
    if target.scheme == "https":
        # Connect to the pinned ip, but present and verify the URL's host name (SNI and certificate).
        return urllib3.HTTPSConnectionPool(
            target.ip, target.port, timeout=timeout, retries=False, maxsize=1,
            cert_reqs="CERT_REQUIRED", ca_certs=CA_BUNDLE,
            server_hostname=target.host, assert_hostname=target.host,
        )
    return urllib3.HTTPConnectionPool(target.ip, target.port, timeout=timeout, retries=False, maxsize=1)


def post(target: Target, body: bytes, headers: dict[str, str]) -> Answer:
    """POST body to the target once; raises SendFailed when there is no HTTP answer."""
    pool = _pool(target)
    all_headers = {"Host": target.host_header, "Content-Type": "application/json", "User-Agent": USER_AGENT,
                   **headers}
    try:
        response = pool.urlopen("POST", target.path, body=body, headers=all_headers, redirect=False,
                                retries=False, assert_same_host=False, preload_content=False)
        try:
            text = response.read(MAX_ANSWER_BYTES, decode_content=True).decode("utf-8", "replace")
        finally:
            response.release_conn()
        return Answer(response.status, {k.lower(): v for k, v in response.headers.items()}, text)
    except HTTPError as exc:
        raise SendFailed(_describe(exc)) from exc
    finally:
        pool.close()


def _describe(exc: HTTPError) -> str:
    name = type(exc).__name__
    if "Timeout" in name:
        return f"the target did not answer within {READ_TIMEOUT:g} seconds"
    reason = getattr(exc, "reason", None) or exc
    return f"could not reach the target: {reason}"

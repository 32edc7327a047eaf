"""The requests session every connector calls its vendor with (one request: one policy check, one pinned
connection, no redirect, a capped answer).

Environment proxies, .netrc and CA bundle variables are ignored (trust_env off): a proxy would resolve the
name itself and undo the pin.

`responses` (used by connector tests) replaces HTTPAdapter.send, so mocked calls skip the address check
and the pin but still meet the redirect, size and deadline rules; the policy is tested on real sockets.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import requests

from hub.outbound.failures import Blocked, RedirectRefused, host_name
from hub.outbound.pinning import PinnedAdapter
from hub.outbound.policy import SCHEMES
from hub.outbound.reading import bounded_timeout, deadline, read_capped

USER_AGENT = "pos-connector-hub/1.0"


class OutboundSession(requests.Session):
    """A requests session under the outbound policy: pinned, redirect-free, capped in size and time."""

    def __init__(self, allowed_hosts: Iterable[str] = ()) -> None:
        super().__init__()
        self.trust_env = False
        self.max_redirects = 0
        self.allowed_hosts = tuple(allowed_hosts)
        self.headers["User-Agent"] = USER_AGENT
        self.adapters.clear()
        adapter = PinnedAdapter(self.allowed_hosts)
        for scheme in SCHEMES:
            self.mount(f"{scheme}://", adapter)

    def get_adapter(self, url: str) -> Any:
        """The pinned adapter; other schemes (such as the file:// adapter zeep mounts) are refused."""
        if urlsplit(url).scheme.lower() not in SCHEMES:
            raise Blocked("the hub only calls http:// and https:// addresses")
        return super().get_adapter(url)

    def get_redirect_target(self, resp: requests.Response) -> None:
        """Never a redirect to follow: send() refuses 3xx answers instead."""
        return None

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        """Send once; refuse a redirect; read the answer under the size and time caps."""
        until = deadline()
        kwargs.update(allow_redirects=False, stream=True, timeout=bounded_timeout(kwargs.get("timeout")))
        response = super().send(request, **kwargs)
        try:
            if 300 <= response.status_code < 400 and response.status_code != 304:
                raise RedirectRefused(_redirect_text(response), response=response)
            read_capped(response, until)
        finally:
            # Returns a fully read connection to its pool; closes one left unread.
            response.close()
        return response


def _redirect_text(response: requests.Response) -> str:
    """Why a redirect failed, saying where it pointed without path or query (which may carry tokens)."""
    location = urlsplit(response.headers.get("Location", ""))
    to = f" to {location.scheme}://{location.hostname}" if location.scheme and location.hostname else ""
    return (f"{host_name(response.url)} answered HTTP {response.status_code}, a redirect{to}; the hub "
            "follows no redirects: set the connection's address to the final one")

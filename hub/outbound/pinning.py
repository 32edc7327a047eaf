"""The transport adapter that checks each request's host against the outbound policy and pins the connection.

The name is resolved once (in the policy check) and the connection made to the first checked address, so
a DNS answer that changes between check and connect (rebinding) is never used. For https the pool still
sends the host name as SNI and verifies the certificate against it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from hub.outbound.failures import Blocked, host_name, refusal
from hub.outbound.policy import OutboundRefused, Target, Unresolvable, check_url


class PinnedAdapter(HTTPAdapter):
    """Checks each request's host against the policy and connects to the address that was checked."""

    def __init__(self, allowed_hosts: Iterable[str] = ()) -> None:
        self.allowed_hosts = tuple(allowed_hosts)
        super().__init__(max_retries=0)

    def check(self, request: requests.PreparedRequest) -> Target:
        """The checked target; Blocked by the policy, ConnectionError when the name does not resolve."""
        host = host_name(request.url)
        try:
            return check_url(request.url or "", self.allowed_hosts)
        except Unresolvable as exc:
            raise requests.ConnectionError(f"could not reach {host}: {exc}", request=request) from exc
        except OutboundRefused as exc:
            raise Blocked(f"the hub does not call {host}: {refusal(exc)}", request=request) from exc

    def build_connection_pool_key_attributes(
        self, request: requests.PreparedRequest, verify: Any, cert: Any = None,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """requests' documented hook choosing a request's pool: here, a pool of the checked address."""
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        target = self.check(request)
        host_params["host"] = target.ip
        if target.scheme == "https":
            pool_kwargs["server_hostname"] = target.host
            if verify:
                pool_kwargs["assert_hostname"] = target.host
        # The connection is to an address, so the name travels in the Host header.
        request.headers["Host"] = target.host_header
        return host_params, pool_kwargs

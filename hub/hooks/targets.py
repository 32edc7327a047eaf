"""Where hooks may be sent: the hub's one outbound policy (hub.outbound.policy), under hook_allowed_hosts.

The address that passed the check is the one connected to (see sender), so a DNS answer
that changes between the check and the connection (DNS rebinding) cannot reach inside.
Hosts listed in the hook_allowed_hosts setting skip the address check (tests, private deployments).
"""

from __future__ import annotations

from collections.abc import Iterable

from hub.outbound.policy import OutboundRefused as UnsafeTarget
from hub.outbound.policy import Target, check_url, is_public, resolve

__all__ = ["Target", "UnsafeTarget", "check_target", "is_public", "resolve"]


def check_target(url: str, allowed_hosts: Iterable[str] = ()) -> Target:
    """Parse, resolve and check a hook target URL; raises UnsafeTarget with the reason."""
    # `resolve` is this module's name, looked up at each call, so hook tests can stub it here.
    return check_url(url, allowed_hosts, resolver=resolve)

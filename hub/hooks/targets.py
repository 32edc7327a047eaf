"""Where hooks may be sent: http(s) URLs whose host resolves to public addresses only.

The address that passed the check is the one connected to (see sender), so a DNS answer
that changes between the check and the connection (DNS rebinding) cannot reach inside.
Hosts listed in the hook_allowed_hosts setting skip the address check (tests, private deployments).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit


class UnsafeTarget(ValueError):
    """A target URL the hub refuses to send to; the message says why, in plain words."""


@dataclass(frozen=True)
class Target:
    """A checked target: where to connect (ip, port) and what to ask for (host, path)."""

    scheme: str
    host: str
    port: int
    ip: str
    path: str

    @property
    def host_header(self) -> str:
        """The Host header: the name, with the port when it is not the scheme's default."""
        default = 443 if self.scheme == "https" else 80
        name = f"[{self.host}]" if ":" in self.host else self.host
        return name if self.port == default else f"{name}:{self.port}"


def resolve(host: str, port: int) -> list[str]:
    """Every address the host resolves to (IPv4 and IPv6)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def is_public(address: str) -> bool:
    """True for globally routable unicast addresses; private, loopback, link-local, reserved etc. are not."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_private or ip.is_loopback or ip.is_link_local
                                 or ip.is_reserved or ip.is_unspecified)


def check_target(url: str, allowed_hosts: Iterable[str] = ()) -> Target:
    """Parse, resolve and check a target URL; raises UnsafeTarget with the reason."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeTarget(f"the web address is not valid ({exc})") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UnsafeTarget("the web address must start with http:// or https://")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise UnsafeTarget("the web address has no host name")
    if parts.username is not None or parts.password is not None:
        raise UnsafeTarget("the web address must not contain a user name or password")
    port = port or (443 if scheme == "https" else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        addresses = resolve(host, port)
    except (OSError, UnicodeError) as exc:
        raise UnsafeTarget(f"the host name {host!r} could not be resolved") from exc
    if not addresses:
        raise UnsafeTarget(f"the host name {host!r} could not be resolved")
    allowed = {h.lower().rstrip(".") for h in allowed_hosts}
    if host.lower() not in allowed:
        blocked = [a for a in addresses if not is_public(a)]
        if blocked:
            raise UnsafeTarget(f"{host!r} resolves to a private or reserved address ({blocked[0]}); "
                               "hooks can only be sent to public internet addresses")
    return Target(scheme=scheme, host=host, port=port, ip=addresses[0], path=path)

"""Which URLs the hub may call: http(s), a host name that resolves only to public addresses, no credentials.

A host named in an allow list (HUB_OUTBOUND_ALLOWED_HOSTS for POS connections, HUB_HOOK_ALLOWED_HOSTS for
hooks) may resolve to private addresses too; the list holds host names, never addresses to match answers.
The first checked address is returned so that the caller connects to exactly that one (no second lookup
that a DNS rebinding could answer differently).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

SCHEMES = ("http", "https")


class OutboundRefused(ValueError):
    """A URL the hub refuses to call; the message says why, in plain words."""


class Unresolvable(OutboundRefused):
    """The host name did not resolve (may be a passing DNS failure)."""


class PrivateAddress(OutboundRefused):
    """The host resolves to an address that is not public, and is not allow-listed."""


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (ip, port) and what to ask for (host, path)."""

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
    """Every address the host resolves to (IPv4 and IPv6), in the resolver's order."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def is_public(address: str) -> bool:
    """True for globally routable unicast addresses; private, loopback, link-local, reserved etc. are not."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_private or ip.is_loopback or ip.is_link_local
                                 or ip.is_reserved or ip.is_unspecified)


def normalized_hosts(hosts: Iterable[str]) -> frozenset[str]:
    """Host names as compared by the policy: lower case, without a trailing dot."""
    return frozenset(h.strip().lower().rstrip(".") for h in hosts if h.strip())


def is_allowed_host(host: str, allowed_hosts: Iterable[str]) -> bool:
    """True when the host is named in the allow list."""
    return host.lower().rstrip(".") in normalized_hosts(allowed_hosts)


def check_url(url: str, allowed_hosts: Iterable[str] = (),
              resolver: Callable[[str, int], list[str]] | None = None) -> Target:
    """Parse, resolve (with `resolver`, default resolve) and check a URL; OutboundRefused says why not."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise OutboundRefused(f"the web address is not valid ({exc})") from exc
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise OutboundRefused("the web address must start with http:// or https://")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise OutboundRefused("the web address has no host name")
    if parts.username is not None or parts.password is not None:
        raise OutboundRefused("the web address must not contain a user name or password")
    port = port or (443 if scheme == "https" else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        addresses = (resolver or resolve)(host, port)
    except (OSError, UnicodeError) as exc:
        raise Unresolvable(f"the host name {host!r} could not be resolved") from exc
    if not addresses:
        raise Unresolvable(f"the host name {host!r} could not be resolved")
    if not is_allowed_host(host, allowed_hosts):
        blocked = [a for a in addresses if not is_public(a)]
        if blocked:
            raise PrivateAddress(f"{host!r} resolves to a private or reserved address ({blocked[0]}); "
                                  "only public internet addresses may be called")
    return Target(scheme=scheme, host=host, port=port, ip=addresses[0], path=path)

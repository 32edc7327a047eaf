"""Fixtures of the outbound tests: real loopback servers, a stub DNS, and the admin API of a hub."""

from __future__ import annotations

import socket
import ssl
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from flask.testing import FlaskClient

from hub import create_app
from hub.runtime import get_runtime
from tests.conftest import Tenant, build_tenant, make_settings
from tests.outbound.servers import Answer, LocalServer


@pytest.fixture
def serve() -> Iterator[Callable[..., LocalServer]]:
    """Start a LocalServer (answer function, optional address, port, TLS context); all stop afterwards."""
    started: list[LocalServer] = []

    def start(answer: Answer, address: str = "127.0.0.1", port: int = 0,
              tls: ssl.SSLContext | None = None) -> LocalServer:
        server = LocalServer(answer, address, port, tls).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


class FakeDNS:
    """socket.getaddrinfo for chosen names: the n-th lookup of a name gets the n-th answer (the last repeats).

    An answer that is an exception is raised. Other names go to the real resolver.
    """

    def __init__(self, real: Callable[..., Any]) -> None:
        self.answers: dict[str, Sequence[str | Exception]] = {}
        self.asked: Counter[str] = Counter()
        self._real = real

    def __call__(self, host: Any, port: Any, family: int = 0, type: int = 0, proto: int = 0,  # noqa: A002
                 flags: int = 0) -> list[Any]:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name not in self.answers:
            return self._real(host, port, family, type, proto, flags)
        self.asked[name] += 1
        answers = self.answers[name]
        answer = answers[min(self.asked[name], len(answers)) - 1]
        if isinstance(answer, Exception):
            raise answer
        if ":" in answer:
            return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", (answer, int(port or 0), 0, 0))]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answer, int(port or 0)))]


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> FakeDNS:
    """A stub resolver in place of socket.getaddrinfo, for the whole process."""
    fake = FakeDNS(socket.getaddrinfo)
    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return fake


@dataclass
class Admin:
    """The admin API of one hub, as a support person would use it."""

    client: FlaskClient
    tenant: Tenant

    def add(self, type_name: str, config: dict[str, Any], credentials: dict[str, Any] | None = None) -> Any:
        """POST /v1/admin/connections; the response."""
        body = {"type": type_name, "name": f"{type_name} test", "config": config,
                "credentials": credentials or {}}
        return self.client.post("/v1/admin/connections", json=body, headers=self.tenant.auth("admin"))

    def test(self, connection_id: str) -> dict[str, Any]:
        """POST /v1/admin/connections/<id>/test; the result JSON."""
        response = self.client.post(f"/v1/admin/connections/{connection_id}/test",
                                    headers=self.tenant.auth("admin"))
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.json


@pytest.fixture
def admin(database_urls: dict[str, str]) -> Callable[..., Admin]:
    """An Admin of a hub on an app whose HUB_OUTBOUND_ALLOWED_HOSTS are the arguments.

    Pass `tenant=` to keep using an earlier hub, e.g. under another allow list.
    """

    def make(*allowed_hosts: str, tenant: Tenant | None = None) -> Admin:
        app = create_app(make_settings(database_urls["sqlite"], outbound_allowed_hosts=allowed_hosts))
        return Admin(app.test_client(), tenant or build_tenant(get_runtime()))

    return make

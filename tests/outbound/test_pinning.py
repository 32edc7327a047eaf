"""The POS host is resolved once per call, every address checked, the connection made to the checked one."""

from __future__ import annotations

import ssl

import pytest
import requests

from hub.connectors.base import ConnectorError, ErrorKind
from hub.connectors.byte_fridge import ByteFridgeConnector
from hub.outbound.client import OutboundSession
from tests.outbound.servers import Reply, always
from tests.tls import certificate

POS = "pos.example.test"
PUBLIC = "93.184.215.14"
CONFIG = {"fields": {"fridges_list": "fridges"}}
FRIDGES = Reply(200, b'{"fridges": []}')


def test_the_host_is_resolved_once_and_only_the_checked_address_is_connected(serve, dns):
    inside = serve(always(FRIDGES))
    dns.answers[POS] = [PUBLIC, "127.0.0.1"]
    # The checked public address is unreachable from here; reaching the loopback server would mean a
    # second, unchecked resolution.
    dns.answers[PUBLIC] = [OSError(101, "Network is unreachable")]
    connector = ByteFridgeConnector({"base_url": inside.url(POS, "/api"), **CONFIG}, {"api_key": "k"})

    with pytest.raises(ConnectorError) as caught:
        connector.test_connection()

    assert dns.asked[POS] == 1
    assert inside.asked == []
    assert caught.value.kind is ErrorKind.TRANSIENT


def test_a_dns_answer_that_turns_private_after_the_connection_was_added_is_refused_at_call_time(
    serve, dns, admin,
):
    inside = serve(always(FRIDGES))
    dns.answers[POS] = [PUBLIC, "127.0.0.1"]
    hub = admin()
    created = hub.add("byte_fridge", {"base_url": inside.url(POS, "/api"), **CONFIG}, {"api_key": "k"})
    assert created.status_code == 201, created.json

    result = hub.test(created.json["id"])

    assert inside.asked == []
    assert (result["ok"], result["error_kind"]) == (False, "permanent")
    assert "HUB_OUTBOUND_ALLOWED_HOSTS" in result["message"]


def test_an_allow_listed_host_reaches_its_private_address(serve, dns, admin):
    inside = serve(always(FRIDGES))
    dns.answers[POS] = ["127.0.0.1"]
    hub = admin(POS)
    created = hub.add("byte_fridge", {"base_url": inside.url(POS, "/api"), **CONFIG}, {"api_key": "k"})

    result = hub.test(created.json["id"])

    assert result["ok"] is True
    assert inside.asked == [("GET", "/api/fridges")]
    assert inside.hosts == [f"{POS}:{inside.port}"]


def test_a_url_accepted_under_the_allow_list_is_refused_at_call_time_once_the_list_drops_it(
    serve, dns, admin,
):
    inside = serve(always(FRIDGES))
    dns.answers[POS] = ["127.0.0.1"]
    before = admin(POS)
    created = before.add("byte_fridge", {"base_url": inside.url(POS, "/api"), **CONFIG}, {"api_key": "k"})
    after = admin(tenant=before.tenant)

    result = after.test(created.json["id"])

    assert inside.asked == []
    assert (result["ok"], result["error_kind"]) == (False, "permanent")


@pytest.fixture
def tls_server(tmp_path, serve):
    """An HTTPS server on 127.0.0.1 with a certificate for POS; what SNI it saw."""
    cert_file, key_file = certificate(tmp_path, POS)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    seen: dict[str, str] = {}

    def remember_sni(sock, server_name, _context):
        seen["sni"] = server_name

    context.sni_callback = remember_sni
    server = serve(always(FRIDGES), tls=context)
    return server, str(cert_file), seen


def test_https_is_pinned_yet_verifies_the_certificate_of_the_host_name(tls_server, dns):
    server, ca_file, seen = tls_server
    dns.answers[POS] = ["127.0.0.1"]
    session = OutboundSession(allowed_hosts=(POS,))
    session.verify = ca_file

    response = session.get(f"https://{POS}:{server.port}/api/fridges", timeout=5)

    assert response.status_code == 200
    assert seen == {"sni": POS}
    assert server.hosts == [f"{POS}:{server.port}"]


def test_https_refuses_a_certificate_for_another_name(tls_server, dns):
    server, ca_file, _ = tls_server
    dns.answers["other.example.test"] = ["127.0.0.1"]
    session = OutboundSession(allowed_hosts=("other.example.test",))
    session.verify = ca_file

    with pytest.raises(requests.exceptions.SSLError):
        session.get(f"https://other.example.test:{server.port}/api/fridges", timeout=5)

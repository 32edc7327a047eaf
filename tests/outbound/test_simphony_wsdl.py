"""Simphony's WSDL: only from http(s) under the policy or shipped with the hub; its soap:address never called;
no DTD, entity or external reference."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hub.connectors.base import ConnectorError, ErrorKind
from hub.connectors.simphony import SimphonyConnector
from hub.connectors.simphony.client import SHIPPED_WSDLS
from tests.outbound.servers import Reply, always

ROOT = Path(__file__).resolve().parents[2]
WSDL = SHIPPED_WSDLS["sts-gen1"].read_text()
VERSION_REPLY = (ROOT / "tests" / "fixtures" / "simphony" / "config_version.xml").read_bytes()
POS = "simphony.example.test"
SETTINGS = {"employee_object_number": 900001, "revenue_centers": [1], "currency": "EUR"}
XML = {"Content-Type": "text/xml; charset=utf-8"}


def wsdl(soap_address: str = "https://simphony.invalid/ts.asmx", prolog: str = "", types: str = "") -> bytes:
    """The shipped WSDL with another soap:address, something before its root and extra schema content."""
    text = re.sub(r'<soap:address location="[^"]*"', f'<soap:address location="{soap_address}"', WSDL)
    text = text.replace("<wsdl:definitions ", f"{prolog}<wsdl:definitions ", 1)
    schema = '<s:schema elementFormDefault="qualified" targetNamespace="http://micros-hosting.com/EGateway/">'
    text = text.replace(schema, schema + types, 1)
    return text.encode()


def property_server(serve, document: bytes):
    """A Simphony property: GET answers the WSDL, POST the configuration version."""
    def answer(method, path):
        return Reply(200, document if method == "GET" else VERSION_REPLY, XML)
    return serve(answer)


def connector(server, allowed=(POS,), **settings):
    config = {"wsdl_location": server.url(POS, "/ts.asmx?WSDL"), "endpoint_url": server.url(POS, "/ts.asmx"),
              **SETTINGS, **settings}
    return SimphonyConnector({k: v for k, v in config.items() if v is not None}, {},
                             allowed_hosts=allowed)


@pytest.fixture
def elsewhere(serve):
    """Another service on loopback that nothing may call."""
    return serve(always(Reply(200, b"<secret/>", XML)))


@pytest.mark.parametrize("location", ["/etc/passwd", "file:///etc/passwd", "../../etc/passwd"])
def test_a_local_file_as_wsdl_is_refused_when_the_connection_is_added(admin, location):
    response = admin().add("simphony", {"wsdl_location": location, "endpoint_url": "https://93.184.215.14/ts",
                                        **SETTINGS})

    assert response.status_code == 422
    assert "settings/wsdl_location" in response.json["detail"]


def test_refusing_a_local_file_as_wsdl_says_nothing_of_whether_it_exists(admin):
    hub = admin()

    def refusal(location):
        response = hub.add("simphony", {"wsdl_location": location, "endpoint_url": "https://93.184.215.14/ts",
                                        **SETTINGS})
        return response.json["detail"].replace(location, "<location>")

    assert refusal("/etc/passwd") == refusal("/nonexistent/passwd")


def test_a_stored_local_file_as_wsdl_fails_at_call_time_alike_whether_or_not_it_exists():
    def failure(location):
        with pytest.raises(ConnectorError) as caught:
            SimphonyConnector({"wsdl_location": location, "endpoint_url": "https://93.184.215.14/ts",
                               **SETTINGS}, {}).test_connection()
        return caught.value

    present, absent = failure("/etc/passwd"), failure("/nonexistent/passwd")

    assert present.kind is absent.kind is ErrorKind.PERMANENT
    assert present.message == absent.message.replace("/nonexistent/passwd", "/etc/passwd")
    assert "wsdl_location" in present.message


def test_calls_go_to_the_configured_endpoint_not_to_the_wsdls_soap_address(serve, dns, elsewhere):
    dns.answers[POS] = ["127.0.0.1"]
    server = property_server(serve, wsdl(soap_address=elsewhere.url(path="/ts.asmx")))

    connector(server).test_connection()

    assert server.asked == [("GET", "/ts.asmx?WSDL"), ("POST", "/ts.asmx")]
    assert elsewhere.asked == []


def test_without_an_endpoint_url_the_wsdls_soap_address_is_never_called(serve, dns, elsewhere):
    dns.answers[POS] = ["127.0.0.1"]
    server = property_server(serve, wsdl(soap_address=elsewhere.url(path="/ts.asmx")))

    with pytest.raises(ConnectorError) as caught:
        connector(server, endpoint_url=None).test_connection()

    assert caught.value.kind is ErrorKind.PERMANENT
    assert elsewhere.asked == []


def test_a_connection_without_an_endpoint_url_is_refused_when_added(admin):
    response = admin().add("simphony", {"wsdl_location": "sts-gen1", **SETTINGS})

    assert response.status_code == 422
    assert "endpoint_url" in response.json["detail"]


def test_a_wsdl_with_a_dtd_is_refused(serve, dns):
    dns.answers[POS] = ["127.0.0.1"]
    server = property_server(serve, wsdl(prolog="<!DOCTYPE wsdl:definitions [<!ELEMENT x ANY>]>\n"))

    with pytest.raises(ConnectorError) as caught:
        connector(server).test_connection()

    assert caught.value.kind is ErrorKind.PERMANENT
    assert "DTD" in caught.value.message


def test_an_entity_expansion_bomb_in_a_wsdl_is_refused(serve, dns):
    dns.answers[POS] = ["127.0.0.1"]
    entities = "".join(f'<!ENTITY e{i} "{f"&e{i - 1};" * 10}">' for i in range(1, 10))
    bomb = f'<!DOCTYPE wsdl:definitions [<!ENTITY e0 "lol">{entities}]>\n'
    server = property_server(serve, wsdl(prolog=bomb).replace(b"<wsdl:types>", b"<wsdl:types>&e9;", 1))

    with pytest.raises(ConnectorError) as caught:
        connector(server).test_connection()

    assert caught.value.kind is ErrorKind.PERMANENT
    assert server.asked == [("GET", "/ts.asmx?WSDL")]


def test_a_wsdl_importing_a_schema_from_another_address_is_refused_without_fetching_it(serve, dns, elsewhere):
    dns.answers[POS] = ["127.0.0.1"]
    schema_import = f'<s:import namespace="urn:x" schemaLocation="{elsewhere.url(path="/x.xsd")}" />\n'
    server = property_server(serve, wsdl(types=schema_import))

    with pytest.raises(ConnectorError) as caught:
        connector(server).test_connection()

    assert caught.value.kind is ErrorKind.PERMANENT
    assert elsewhere.asked == []


def test_a_wsdl_url_on_a_private_address_is_refused_at_call_time(serve, dns):
    dns.answers[POS] = ["127.0.0.1"]
    server = property_server(serve, wsdl())

    with pytest.raises(ConnectorError) as caught:
        connector(server, allowed=()).test_connection()

    assert caught.value.kind is ErrorKind.PERMANENT
    assert "HUB_OUTBOUND_ALLOWED_HOSTS" in caught.value.message
    assert server.asked == []


def test_the_wsdl_shipped_with_the_hub_is_read_by_name(serve, dns):
    dns.answers[POS] = ["127.0.0.1"]
    server = property_server(serve, b"")

    connector(server, wsdl_location="sts-gen1").test_connection()

    assert server.asked == [("POST", "/ts.asmx")]

"""The check that holds Simphony requests to the published WSDL: what it accepts, what it catches."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from lxml import etree

from tests.connectors_byte_simphony.simphony_contract import (
    CONTRACT_WSDL,
    WSDL,
    XSD,
    contract,
    contract_violations,
)

FIXTURES = CONTRACT_WSDL.parent
REFERENCE = Path("/work/shared/reference/simphony-sts-gen1.wsdl")
ACTION = '"http://micros-hosting.com/EGateway/GetCheckDetail"'


def envelope(operation: str) -> str:
    return ('<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
            f'<GetCheckDetail xmlns="http://micros-hosting.com/EGateway/">{operation}</GetCheckDetail>'
            '</soap:Body></soap:Envelope>')


def test_a_request_of_the_published_shape_keeps_the_contract() -> None:
    body = envelope("<ppCheckDetailFilter><VendorCode>V</VendorCode><CheckNumber>1</CheckNumber>"
                    "<CheckSeqNumber>2</CheckSeqNumber></ppCheckDetailFilter>")

    assert contract().request_problems(body, ACTION) == []


def test_elements_out_of_the_published_order_break_the_contract() -> None:
    body = envelope("<ppCheckDetailFilter><CheckNumber>1</CheckNumber><VendorCode>V</VendorCode>"
                    "<CheckSeqNumber>2</CheckSeqNumber></ppCheckDetailFilter>")

    assert contract().request_problems(body, ACTION)


def test_text_in_an_integer_field_breaks_the_contract() -> None:
    body = envelope("<ppCheckDetailFilter><CheckNumber>one</CheckNumber>"
                    "<CheckSeqNumber>2</CheckSeqNumber></ppCheckDetailFilter>")

    assert any("CheckNumber" in p for p in contract().request_problems(body, ACTION))


def test_a_missing_required_field_breaks_the_contract() -> None:
    body = envelope("<ppCheckDetailFilter><CheckNumber>1</CheckNumber></ppCheckDetailFilter>")

    assert contract().request_problems(body, ACTION)


def test_a_soap_action_other_than_the_bindings_breaks_the_contract() -> None:
    body = envelope("<ppCheckDetailFilter><CheckNumber>1</CheckNumber>"
                    "<CheckSeqNumber>2</CheckSeqNumber></ppCheckDetailFilter>")

    assert contract().request_problems(body, '"http://micros-hosting.com/EGateway/GetChecks"')


def test_violations_name_each_offending_request_and_skip_gets() -> None:
    bad = SimpleNamespace(request=SimpleNamespace(method="POST", url="https://s.test/x", body=b"<html/>",
                                                  headers={}))
    wsdl_fetch = SimpleNamespace(request=SimpleNamespace(method="GET", url="https://s.test/x?WSDL", body=None,
                                                         headers={}))

    assert contract_violations([wsdl_fetch, bad]) == [
        "request 2 to https://s.test/x: root is html, not a SOAP 1.1 Envelope"]


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.xml")))
def test_recorded_answers_are_responses_the_wsdl_describes(name: str) -> None:
    assert contract().response_problems((FIXTURES / name).read_bytes()) == []


@pytest.mark.skipif(not REFERENCE.exists(), reason="the published WSDL is not on this machine")
def test_the_trimmed_contract_keeps_the_published_types_unchanged() -> None:
    def types(path: Path) -> dict[str, str]:
        schema = etree.parse(str(path)).getroot().find(f"{{{WSDL}}}types/{{{XSD}}}schema")
        # Compared without the namespace declarations each copy inherits from its wsdl:definitions.
        return {f"{etree.QName(n).localname}:{n.get('name')}":
                re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", etree.tostring(n, method="c14n").decode())
                for n in schema if isinstance(n.tag, str)}

    trimmed, published = types(CONTRACT_WSDL), types(REFERENCE)
    assert {key: published.get(key) for key in trimmed} == trimmed

"""Simphony's published contract (WSDL types, SOAP 1.1 binding), checked against each request the hub sends.

The WSDL is a trimmed copy of the published one (tests/fixtures/simphony/contract-sts-gen1.wsdl, with its
source note), not the WSDL the connector ships: a request zeep builds from the shipped WSDL must also be
valid against what Simphony itself publishes.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

CONTRACT_WSDL = Path(__file__).resolve().parent.parent / "fixtures" / "simphony" / "contract-sts-gen1.wsdl"
XSD = "http://www.w3.org/2001/XMLSchema"
WSDL = "http://schemas.xmlsoap.org/wsdl/"
SOAP_BINDING = "http://schemas.xmlsoap.org/wsdl/soap/"
SOAP_ENVELOPE = "http://schemas.xmlsoap.org/soap/envelope/"
TNS = "http://micros-hosting.com/EGateway/"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


@dataclass(frozen=True)
class Contract:
    """The XSD of the WSDL's types, and per request element the SOAPAction its binding names."""

    schema: etree.XMLSchema
    actions: dict[str, str]  # request element local name -> soapAction
    elements: frozenset[str]  # global elements the schema declares

    def request_problems(self, body: bytes | str, soap_action: str | None) -> list[str]:
        """Why this SOAP request breaks the contract (empty when it keeps it)."""
        try:
            envelope = etree.fromstring(body.encode() if isinstance(body, str) else body, parser=_PARSER)
        except etree.XMLSyntaxError as exc:
            return [f"not XML: {exc}"]
        if envelope.tag != f"{{{SOAP_ENVELOPE}}}Envelope":
            return [f"root is {envelope.tag}, not a SOAP 1.1 Envelope"]
        soap_body = envelope.find(f"{{{SOAP_ENVELOPE}}}Body")
        parts = [] if soap_body is None else [c for c in soap_body if isinstance(c.tag, str)]
        if len(parts) != 1:
            return [f"the Body holds {len(parts)} elements, not one operation"]
        operation = etree.QName(parts[0])
        if operation.namespace != TNS or operation.localname not in self.actions:
            return [f"{operation.text} is not an operation of the binding"]
        problems = []
        expected = f'"{self.actions[operation.localname]}"'
        if soap_action != expected:
            problems.append(f"SOAPAction {soap_action!r}, the binding says {expected}")
        document = etree.fromstring(etree.tostring(parts[0]), parser=_PARSER)
        if not self.schema.validate(document):
            problems += [f"line {e.line}: {e.message}" for e in self.schema.error_log]
        return problems

    def response_problems(self, body: bytes | str) -> list[str]:
        """Why a recorded answer is not a response the WSDL describes (SOAP faults are left to SOAP)."""
        envelope = etree.fromstring(body.encode() if isinstance(body, str) else body, parser=_PARSER)
        part = next(c for c in envelope.find(f"{{{SOAP_ENVELOPE}}}Body") if isinstance(c.tag, str))
        if etree.QName(part).localname == "Fault":
            return []
        document = etree.fromstring(etree.tostring(part), parser=_PARSER)
        return [] if self.schema.validate(document) else [e.message for e in self.schema.error_log]


@functools.cache
def contract(path: Path = CONTRACT_WSDL) -> Contract:
    """The contract of a WSDL file, read once."""
    root = etree.parse(str(path), parser=_PARSER).getroot()
    schema_element = root.find(f"{{{WSDL}}}types/{{{XSD}}}schema")
    # Serialised on its own so the namespace declarations of wsdl:definitions come along.
    schema = etree.XMLSchema(etree.fromstring(etree.tostring(schema_element), parser=_PARSER))
    elements = frozenset(e.get("name") for e in schema_element.findall(f"{{{XSD}}}element"))
    inputs = {}
    for message in root.findall(f"{{{WSDL}}}message"):
        part = message.find(f"{{{WSDL}}}part")
        inputs[message.get("name")] = part.get("element").split(":", 1)[1]
    port_inputs = {op.get("name"): inputs[op.find(f"{{{WSDL}}}input").get("message").split(":", 1)[1]]
                   for op in root.find(f"{{{WSDL}}}portType").findall(f"{{{WSDL}}}operation")}
    actions = {}
    for operation in root.find(f"{{{WSDL}}}binding").findall(f"{{{WSDL}}}operation"):
        soap_operation = operation.find(f"{{{SOAP_BINDING}}}operation")
        actions[port_inputs[operation.get("name")]] = soap_operation.get("soapAction")
    return Contract(schema, actions, elements)


def contract_violations(calls: Iterable[Any]) -> list[str]:
    """Every way the POSTs among these `responses` calls break Simphony's contract, one line each."""
    found = []
    for number, call in enumerate(calls, 1):
        request = call.request
        if request.method != "POST":
            continue
        for problem in contract().request_problems(request.body or b"", request.headers.get("SOAPAction")):
            found.append(f"request {number} to {request.url}: {problem}")
    return found

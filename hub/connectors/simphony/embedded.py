"""The XML documents Simphony embeds as text in SOAP string fields, read safely and by local names."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from lxml import etree

from hub.connectors.base import ConnectorError, ErrorKind

_DECLARATION = re.compile(r"^<\?xml[^>]*\?>")
_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def local(tag: Any) -> str:
    """An element tag without its namespace ("" for comments and processing instructions)."""
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def child(element: etree._Element | None, *path: str) -> etree._Element | None:
    """The first descendant along path, matching local names case-insensitively."""
    for name in path:
        if element is None:
            return None
        element = next((c for c in element if local(c.tag).lower() == name.lower()), None)
    return element


def text(element: etree._Element | None, *path: str) -> str | None:
    """The stripped text of the descendant along path, or None."""
    found = child(element, *path)
    if found is None or found.text is None:
        return None
    return found.text.strip()


def children(parent: etree._Element | None, tag: str) -> Iterable[etree._Element]:
    """The direct children with this local name."""
    if parent is None:
        return []
    return [c for c in parent if local(c.tag) == tag]


def parse_embedded(document: str, what: str) -> etree._Element:
    """Parse an XML document that Simphony embeds as text in a SOAP string field."""
    # .NET writes these with an encoding="utf-16" declaration that no longer holds once
    # the text has travelled inside a UTF-8 envelope, so the declaration is dropped.
    source = _DECLARATION.sub("", document.strip(), count=1)
    try:
        return etree.fromstring(source.encode("utf-8"), parser=_XML_PARSER)
    except etree.XMLSyntaxError as exc:
        raise ConnectorError(ErrorKind.PERMANENT, f"Simphony sent unreadable {what}: {exc}") from exc


def embedded_records(document: str | None, record_tag: str, what: str) -> list[etree._Element]:
    """The records of an embedded configuration document (ArrayOfDb...)."""
    if not document or not document.strip():
        return []
    return list(children(parse_embedded(document, what), record_tag))

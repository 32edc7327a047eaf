"""Shopify's GraphQL Admin API for one store: the store's address, queries, mutations and pages."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import requests

from hub.connectors.base import ConnectorError, ErrorKind, request_or_transient
from hub.connectors.shopify.errors import graphql_error, http_error, user_error
from hub.outbound.failures import ALLOW_LIST_HINT
from hub.outbound.policy import is_allowed_host
from hub.work.failures import Fault

# A runaway guard for lists that never stop paging (250 nodes a page at most: far beyond any store).
MAX_PAGES = 500

# A store's own address: Shopify's store names are letters, digits and hyphens.
_STORE_HOST = re.compile(r"[a-z0-9][a-z0-9-]*\.myshopify\.com")


def shop_domain(value: str) -> str:
    """'acme', 'acme.myshopify.com' or 'https://acme.myshopify.com/' -> 'acme.myshopify.com'."""
    host = value.strip().lower().removeprefix("https://").removeprefix("http://").split("/")[0]
    return host if "." in host else f"{host}.myshopify.com"


def shop_host(value: str, allowed_hosts: Iterable[str] = ()) -> str:
    """The shop's host: a '<name>.myshopify.com' store, or a host (with port) named in the allow list.

    Anything else (an address, another domain, a port) raises ValueError: the shop setting is not a way
    to make the hub call another server.
    """
    host = shop_domain(value)
    if _STORE_HOST.fullmatch(host) or is_allowed_host(host.rsplit(":", 1)[0], allowed_hosts):
        return host
    raise ValueError(f"{value!r} is not a Shopify store address: give the store's <name>.myshopify.com "
                     f"address ({ALLOW_LIST_HINT})")


@dataclass
class ShopifyClient:
    """Sends GraphQL documents to one store's endpoint; every failure comes out as a ConnectorError."""

    http: requests.Session
    endpoint: str
    token: str
    timeout: float

    def graphql(self, query: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The ``data`` of a query's answer, unless HTTP or GraphQL errors say otherwise."""
        headers = {
            "X-Shopify-Access-Token": self.token,
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        response = request_or_transient(
            self.http, "POST", self.endpoint, headers=headers,
            json={"query": query, "variables": dict(variables or {})}, timeout=self.timeout,
        )
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if response.status_code >= 400:
            raise http_error(response, payload)
        if not isinstance(payload, dict):
            raise ConnectorError(ErrorKind.TRANSIENT, f"Shopify answered HTTP {response.status_code} "
                                 "without JSON", status=response.status_code)
        if payload.get("errors"):
            raise graphql_error(payload, response.status_code)
        return payload.get("data") or {}

    def mutate(self, mutation: str, variables: Mapping[str, Any], field: str) -> dict[str, Any]:
        """The result of a mutation under ``field``, unless it reports userErrors."""
        result = self.graphql(mutation, variables).get(field) or {}
        user_errors = result.get("userErrors") or []
        if user_errors:
            raise user_error(field, user_errors)
        return result

    def pages(self, query: str, path: tuple[str, ...], variables: Mapping[str, Any] | None = None
              ) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
        """Each answer's data with the connection at ``path`` in it, following pageInfo page by page.

        A cursor Shopify hands out twice, or more than MAX_PAGES pages, would loop for ever: a vendor fault.
        """
        after = None
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            data = self.graphql(query, {**(variables or {}), "after": after})
            connection: Any = data
            for key in path:
                connection = (connection or {}).get(key)
            yield data, connection or {}
            page = (connection or {}).get("pageInfo") or {}
            if not page.get("hasNextPage"):
                return
            after = page.get("endCursor")
            if not after or after in seen:
                raise ConnectorError(ErrorKind.TRANSIENT, f"Shopify repeated the page cursor {after!r} of "
                                     f"{'.'.join(path)}; stopped instead of reading the same page again",
                                     fault=Fault.VENDOR)
            seen.add(after)
        raise ConnectorError(ErrorKind.TRANSIENT, f"Shopify kept paging {'.'.join(path)} past {MAX_PAGES} "
                             "pages; stopped", fault=Fault.VENDOR)

    def nodes(self, query: str, path: tuple[str, ...], variables: Mapping[str, Any] | None = None
              ) -> Iterator[dict[str, Any]]:
        """Every node of the connection at ``path`` in the answer, page by page (see ``pages``)."""
        for _, connection in self.pages(query, path, variables):
            yield from connection.get("nodes") or []

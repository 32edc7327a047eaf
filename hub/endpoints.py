"""Each endpoint's contract, declared once at its view: the scopes it enforces and what /openapi.json says.

A view is registered with its blueprint (method and path) and decorated with an `Endpoint` (or
`endpoint_per` for a route that serves one operation per trigger or action). The decorator checks
the API key against the declared scopes before the view runs, and hub.openapi builds the document
from the same declaration, so what an operation advertises is what it enforces.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from flask import Flask
from werkzeug.routing import Rule

from hub.auth import authorize
from hub.keys import SCOPES

F = TypeVar("F", bound=Callable[..., Any])

ANY_KEY: tuple[str, ...] = SCOPES
AUTOMATION = ("automation", "admin")  # admin keys can do all that automation keys can
POS = ("pos",)
ADMIN = ("admin",)

_ATTRIBUTE = "hub_declaration"
# A Flask route variable, with or without its converter: <id>, <path:path>, <run_id:id>.
_VARIABLE = re.compile(r"<(?:[^<>:]+:)?([^<>]+)>")


@dataclass(frozen=True, kw_only=True)
class Endpoint:
    """One operation's contract; as a decorator it declares itself on the view and enforces its scopes."""

    operation_id: str
    summary: str
    description: str
    tag: str
    scopes: tuple[str, ...]  # API key scopes allowed; empty means no API key (public or signed)
    status: int = 200
    response: str | None = None  # schema file of the success body
    response_is_list: bool = False
    request: str | None = None  # schema file of the request body
    request_optional: bool = False  # the body may be left out
    query: tuple[str, ...] = ()  # schema files whose properties are query parameters
    path_params: tuple[tuple[str, str], ...] = ()  # (name in the route, description)
    # Single query parameters shaped by one property of a schema file:
    # (name, "file.json#/properties/<name>", description of what the parameter does here).
    params: tuple[tuple[str, str, str], ...] = ()
    lookup: bool = False  # takes the q search parameter
    paged: bool = False  # takes the cursor parameter and answers X-Next-Cursor and Link while more follow
    headers: tuple[tuple[str, str], ...] = ()  # (name, description) of headers the success may carry
    idempotent: bool = False  # accepts an Idempotency-Key header
    etag: bool = False  # answers 304 to If-None-Match
    # Errors beyond those the builder infers (auth from scopes, body from request, 409 from idempotent).
    errors: tuple[int, ...] = ()
    response_description: str = "Success."
    # Bodies that are no hub contract (a health probe, a vendor's own webhook, a schema document).
    inline_request: dict[str, Any] | None = None
    inline_response: dict[str, Any] | None = None

    def __call__(self, view: F) -> F:
        """Declare this contract on the view."""
        return _declare(view, Declaration({"": self}))


@dataclass(frozen=True)
class Declaration:
    """What a view declares: one Endpoint, or one per value of the path parameter `param`."""

    endpoints: Mapping[str, Endpoint]  # by the param's value; {"": endpoint} without a param
    param: str | None = None

    @property
    def scopes(self) -> tuple[str, ...]:
        """The scopes the view enforces (all its operations share them)."""
        return next(iter(self.endpoints.values())).scopes


def endpoint_per(param: str, endpoints: Mapping[str, Endpoint]) -> Callable[[F], F]:
    """Declare one operation per value of the path parameter `param` (a trigger's or an action's name)."""
    return lambda view: _declare(view, Declaration(dict(endpoints), param))


def declaration(view: Callable[..., Any]) -> Declaration | None:
    """The declaration made on a view function, if any."""
    return getattr(view, _ATTRIBUTE, None)


def _declare(view: F, declared: Declaration) -> F:
    if declaration(view) is not None:
        raise ValueError(f"{view.__name__} is declared twice; declare each endpoint once")
    scopes = {endpoint.scopes for endpoint in declared.endpoints.values()}
    if len(scopes) != 1 or not set(declared.scopes) <= set(SCOPES):
        raise ValueError(f"{view.__name__}: its operations must share one set of known scopes, not {scopes}")
    allowed = declared.scopes
    if not allowed:  # public and vendor-signed views take no API key
        setattr(view, _ATTRIBUTE, declared)
        return view

    @wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        authorize(allowed)
        return view(*args, **kwargs)

    setattr(checked, _ATTRIBUTE, declared)
    return checked  # type: ignore[return-value]


@dataclass(frozen=True)
class Operation:
    """One operation of the API: a declared Endpoint at its method and OpenAPI path."""

    method: str  # "GET", "POST", ...
    path: str  # OpenAPI style: /v1/hooks/{id}
    endpoint: Endpoint
    rule: Rule  # the Flask route serving it


def openapi_path(rule: str) -> str:
    """A Flask route in OpenAPI style: /schemas/<path:path> -> /schemas/{path}."""
    return _VARIABLE.sub(r"{\1}", rule)


# Routes that are not the API: the support console's pages (cookie sessions, HTML), never documented.
NOT_API_PREFIXES = ("/console",)


def is_api_rule(path: str) -> bool:
    """True for a route of the API, False for the console's pages."""
    return not any(path == prefix or path.startswith(prefix + "/") for prefix in NOT_API_PREFIXES)


def declared_operations(app: Flask) -> list[Operation]:
    """Every operation the app's routes declare, in the order they were registered.

    Raises ValueError for a route without a declaration, or whose declared path parameters are not
    the route's own: the document must not miss a route nor describe one it does not have.
    """
    operations = []
    for rule in app.url_map.iter_rules():
        if not is_api_rule(rule.rule):
            continue
        declared = declaration(app.view_functions[rule.endpoint])
        methods = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
        if declared is None or len(methods) != 1:
            raise ValueError(f"{rule.rule} ({rule.endpoint}): declare one method and one Endpoint per route")
        path = openapi_path(rule.rule)
        variables = set(rule.arguments) - {declared.param}
        for value, endpoint in declared.endpoints.items():
            if {name for name, _ in endpoint.path_params} != variables:
                raise ValueError(f"{rule.rule}: {endpoint.operation_id} must describe the path parameters "
                                 f"{sorted(variables)}")
            concrete = path.replace(f"{{{declared.param}}}", value) if declared.param else path
            operations.append(Operation(methods[0], concrete, endpoint, rule))
    return operations

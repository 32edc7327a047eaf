"""Every GraphQL document the Shopify connector sends, checked against the documented Admin API types it uses.

The schema is tests/fixtures/shopify/admin-subset.graphql (see its note: Shopify offers no schema offline). A
document must parse, name only fields and arguments of that schema, and its variables must be values its
declared input types accept (no unknown input fields, no missing required ones, enums spelled right).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from graphql import GraphQLError, GraphQLSchema, OperationDefinitionNode, build_schema, parse, validate
from graphql.execution.values import get_variable_values

SUBSET = Path(__file__).resolve().parent.parent / "fixtures" / "shopify" / "admin-subset.graphql"


@functools.cache
def admin_schema() -> GraphQLSchema:
    """The documented part of the Admin API the hub uses."""
    return build_schema(SUBSET.read_text())


def document_problems(query: str, variables: Mapping[str, Any] | None) -> list[str]:
    """Why a GraphQL request breaks the Admin API's documented types (empty when it keeps them)."""
    try:
        document = parse(query)
    except GraphQLError as exc:
        return [f"does not parse: {exc.message}"]
    problems = [error.message for error in validate(admin_schema(), document)]
    if problems:
        return problems
    (operation,) = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    coerced = get_variable_values(admin_schema(), operation.variable_definitions or [], dict(variables or {}))
    if isinstance(coerced, list):
        problems += [error.message for error in coerced]
    declared = {v.variable.name.value for v in operation.variable_definitions or []}
    problems += [f"variable ${name} is not declared" for name in dict(variables or {})
                 if name not in declared]
    return problems

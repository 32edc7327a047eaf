"""Reading JSON from outside: strict parsing, and the values no database column can store.

``json.loads`` alone accepts NaN and Infinity, raises a bare ValueError for integer literals of
more than 4,300 digits, and hands back strings with NUL characters or lone UTF-16 surrogates,
which PostgreSQL (NUL) and every UTF-8 encoder (surrogates) then refuse deep inside a request.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

MAX_INTEGER_DIGITS = 4300  # Python's own limit for str -> int; no contract needs more than 19.
LARGEST_EXACT_FLOAT = 2**53

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class UnreadableJson(ValueError):
    """The text is JSON the hub will not read (NaN, Infinity, a number of endless digits)."""


def json_pointer(parts: list[Any]) -> str:
    """The RFC 6901 pointer of a member, e.g. ["lines", 0, "sku"] -> "/lines/0/sku"."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in parts)


def _integer(literal: str) -> int:
    if len(literal.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise UnreadableJson(f"a number has more than {MAX_INTEGER_DIGITS} digits")
    return int(literal)


def _number(literal: str) -> int | float:
    # A POS whose encoder writes every number as a float (2.0) means the whole number 2. Beyond
    # 2**53 a float is no longer exact, so it stays a float (and fails any integer maximum).
    value = float(literal)
    if value.is_integer() and abs(value) <= LARGEST_EXACT_FLOAT:
        return int(value)
    return value


def _constant(literal: str) -> Any:
    raise UnreadableJson(f"{literal} is not a JSON number")


def loads(text: str) -> Any:
    """Parse JSON text strictly; json.JSONDecodeError, RecursionError or UnreadableJson when it cannot."""
    return json.loads(text, parse_int=_integer, parse_float=_number, parse_constant=_constant)


def _text_problem(text: str) -> str | None:
    if "\x00" in text:
        return "must not contain the NUL character (\\u0000)"
    if _LONE_SURROGATE.search(text):
        return "must not contain a lone UTF-16 surrogate (\\ud800 to \\udfff), which is no character"
    return None


def unstorable_values(document: Any) -> list[dict[str, str]]:
    """Every string (or object key) with NUL or a lone surrogate, and every number too large to
    read, as {"path": JSON pointer, "message"} in document order."""
    errors: list[dict[str, str]] = []
    pending: list[tuple[Any, list[Any]]] = [(document, [])]
    while pending:
        node, parts = pending.pop()
        if isinstance(node, dict):
            for key in node:
                if problem := _text_problem(key):
                    errors.append({"path": json_pointer([*parts, key]),
                                   "message": f"The field name {problem}."})
            pending.extend((value, [*parts, key]) for key, value in reversed(node.items()))
        elif isinstance(node, list):
            pending.extend((value, [*parts, index]) for index, value in reversed(list(enumerate(node))))
        elif isinstance(node, str):
            if problem := _text_problem(node):
                errors.append({"path": json_pointer(parts), "message": f"The text {problem}."})
        elif isinstance(node, float) and not math.isfinite(node):
            errors.append({"path": json_pointer(parts), "message": "The number is too large."})
    return errors

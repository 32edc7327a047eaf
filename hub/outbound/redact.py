"""Removing credentials from error texts before anyone sees them."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

REDACTED = "[redacted]"
# Shorter values (e.g. "1") would blank out ordinary words and numbers.
MIN_SECRET_LENGTH = 4
# Query or form parameters that carry secrets by name, wherever a URL or body shows up in a message.
_SECRET_PARAMETER = re.compile(
    r"(?i)(?<![a-z0-9])((?:[a-z_-]*token|[a-z_-]*secret|[a-z_-]*key|password|passwd|signature)=)([^&\s'\"<>]+)"
)


def secret_values(credentials: Mapping[str, Any]) -> frozenset[str]:
    """The credential strings worth looking for in a text."""
    return frozenset(v for v in credentials.values() if isinstance(v, str) and len(v) >= MIN_SECRET_LENGTH)


def redact(text: str, secrets: Iterable[str]) -> str:
    """The text with each secret value, and the value of each token-like parameter, replaced by [redacted]."""
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return _SECRET_PARAMETER.sub(lambda m: m.group(1) + REDACTED, text)

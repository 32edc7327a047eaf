"""Vendor webhook signatures: base64 HMAC-SHA256 (Square and Shopify both use it) and header lookup."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping


def hmac_sha256_base64(key: str, message: bytes) -> str:
    """base64(HMAC-SHA256(key, message))."""
    return base64.b64encode(hmac.new(key.encode(), message, hashlib.sha256).digest()).decode()


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header's value by its name in any case, or None (callers may pass a plain dict)."""
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


def signature_matches(expected: str, given: str | None) -> bool:
    """True when the signature sent equals the one computed (constant-time; surrounding spaces ignored)."""
    if not given:
        return False
    return hmac.compare_digest(expected.encode(), given.strip().encode())

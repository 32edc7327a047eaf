"""zeep on the guarded client: documents only over http(s) under the outbound policy, or shipped with the hub.

zeep's own Transport reads any path that is not a URL from disk and mounts a file:// adapter; this one
reads only the local files it was given (WSDLs shipped in the repository) and refuses every other path
with one message, whether or not the file exists. XML settings forbid DTDs, entities and transitive
fetches (xsd:import, xsd:include, wsdl:import): a WSDL must be self-contained, as Simphony's is.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

import requests
import zeep

from hub.outbound.failures import Blocked
from hub.outbound.policy import SCHEMES

NOT_A_URL = "the hub reads WSDL and schema documents only from http:// or https:// addresses"


def safe_settings() -> zeep.Settings:
    """zeep settings that refuse DTDs, entity declarations and fetches of imported documents."""
    return zeep.Settings(forbid_dtd=True, forbid_entities=True, forbid_external=True)


class GuardedTransport(zeep.Transport):
    """zeep's transport over an OutboundSession, reading no local file but the shipped ones it was given."""

    def __init__(self, session: requests.Session, timeout: float, local_files: Iterable[Path] = ()) -> None:
        super().__init__(session=session, timeout=timeout, operation_timeout=timeout)
        self.session.adapters.pop("file://", None)
        # Compared as absolute paths without touching the file system for anything else.
        self._local_files = {os.path.abspath(path) for path in local_files}

    def load(self, url: str) -> bytes:
        """A document from an http(s) URL (through the session) or a shipped file; Blocked otherwise."""
        if not url:
            raise ValueError("No url given to load")
        if urlsplit(url).scheme.lower() in SCHEMES:
            return self._load_remote_data(url)
        path = os.path.abspath(url)
        if path not in self._local_files:
            raise Blocked(NOT_A_URL)
        return Path(path).read_bytes()

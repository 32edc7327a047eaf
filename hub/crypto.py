"""Encryption at rest for POS credentials and hook secrets (Fernet, rotatable)."""

from __future__ import annotations

import json
import os
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from hub.config import ROOT, Settings

LOCAL_KEY_FILE = ROOT / "var" / "secret.key"


class SecretsUnavailable(RuntimeError):
    """No encryption key is configured where one is required."""


def _local_key() -> str:
    """The embedded default's key: made once in var/secret.key, readable by its owner only."""
    LOCAL_KEY_FILE.parent.mkdir(parents=True, exist_ok=True)
    if not LOCAL_KEY_FILE.exists():
        fd = os.open(LOCAL_KEY_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(Fernet.generate_key().decode())
    return LOCAL_KEY_FILE.read_text().strip()


class Vault:
    """Encrypts with the first key of HUB_SECRET_KEYS and decrypts with any of them."""

    def __init__(self, keys: tuple[str, ...]) -> None:
        if not keys:
            raise SecretsUnavailable("no encryption keys")
        self._fernet = MultiFernet([Fernet(k.encode()) for k in keys])

    @classmethod
    def from_settings(cls, settings: Settings) -> Vault:
        """Keys from HUB_SECRET_KEYS; the embedded SQLite default makes a local key file."""
        if settings.secret_keys:
            return cls(settings.secret_keys)
        if settings.database_url.startswith("sqlite"):
            return cls((_local_key(),))
        raise SecretsUnavailable(
            "HUB_SECRET_KEYS must be set when DATABASE_URL points at a server database "
            "(generate one with: python -m hub generate-secret-key)"
        )

    def encrypt_json(self, value: Any) -> str:
        """Encrypt a JSON-serialisable value."""
        return self._fernet.encrypt(json.dumps(value).encode()).decode()

    def decrypt_json(self, token: str | None) -> Any:
        """Decrypt what encrypt_json made; None for no token."""
        if not token:
            return None
        try:
            return json.loads(self._fernet.decrypt(token.encode()))
        except InvalidToken as exc:
            raise SecretsUnavailable("stored secret cannot be decrypted with the configured keys") from exc

    def rotate(self, token: str) -> str:
        """Re-encrypt a token under the primary key."""
        return self._fernet.rotate(token.encode()).decode()

"""Settings read from the environment, in one place."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _default_database_url() -> str:
    return f"sqlite:///{ROOT / 'var' / 'hub.db'}"


@dataclass(frozen=True)
class Settings:
    """Every setting the hub reads, with its default."""

    database_url: str = field(default_factory=_default_database_url)
    redis_url: str | None = None
    secret_keys: tuple[str, ...] = ()
    max_body_bytes: int = 1_000_000
    hook_allowed_hosts: tuple[str, ...] = ()
    outbound_allowed_hosts: tuple[str, ...] = ()
    base_url: str = "http://127.0.0.1:8000"
    rate_limit_per_minute: int = 600
    # Zapier and n8n make one subscription per active Zap or workflow trigger: 50 leaves a hub ample
    # room while bounding the deliveries (rows and jobs) one event can fan out to.
    max_hook_subscriptions: int = 50

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Build settings from HUB_* and the usual DATABASE_URL / REDIS_URL variables."""
        env = os.environ
        values: dict[str, object] = {}
        if env.get("DATABASE_URL"):
            values["database_url"] = env["DATABASE_URL"]
        if env.get("REDIS_URL"):
            values["redis_url"] = env["REDIS_URL"]
        if env.get("HUB_SECRET_KEYS"):
            values["secret_keys"] = tuple(k.strip() for k in env["HUB_SECRET_KEYS"].split(",") if k.strip())
        if env.get("HUB_MAX_BODY_BYTES"):
            values["max_body_bytes"] = int(env["HUB_MAX_BODY_BYTES"])
        if env.get("HUB_HOOK_ALLOWED_HOSTS"):
            values["hook_allowed_hosts"] = tuple(
                h.strip() for h in env["HUB_HOOK_ALLOWED_HOSTS"].split(",") if h.strip()
            )
        if env.get("HUB_OUTBOUND_ALLOWED_HOSTS"):
            values["outbound_allowed_hosts"] = tuple(
                h.strip() for h in env["HUB_OUTBOUND_ALLOWED_HOSTS"].split(",") if h.strip()
            )
        if env.get("HUB_BASE_URL"):
            values["base_url"] = env["HUB_BASE_URL"].rstrip("/")
        if env.get("HUB_RATE_LIMIT_PER_MINUTE"):
            values["rate_limit_per_minute"] = int(env["HUB_RATE_LIMIT_PER_MINUTE"])
        if env.get("HUB_MAX_HOOK_SUBSCRIPTIONS"):
            values["max_hook_subscriptions"] = int(env["HUB_MAX_HOOK_SUBSCRIPTIONS"])
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]

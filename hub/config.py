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
    # GET /metrics on the app's own address (it takes no API key, so it is off unless asked for).
    metrics_enabled: bool = False
    # A port of its own serving /metrics from this process (web server, scheduler, worker); None: none.
    metrics_port: int | None = None
    # Retention (hub.retention): how long each kind of row is kept, and how the scheduler prunes.
    retention_events_days: float = 90
    retention_hook_deliveries_days: float = 90
    retention_action_runs_days: float = 90
    retention_dead_letters_days: float = 30
    retention_idempotency_hours: float = 24
    retention_callback_events_days: float = 7
    retention_batch_rows: int = 5000
    retention_pause_seconds: float = 0.2
    retention_budget_seconds: float = 2
    log_format: str = "text"  # HUB_LOG_FORMAT: text (default) or json, one object a line (hub/logs.py)
    log_level: str = "INFO"  # HUB_LOG_LEVEL: DEBUG, INFO, WARNING, ERROR
    # HUB_TRUSTED_PROXIES: how many reverse proxies in front of the app to trust for X-Forwarded-For
    # (werkzeug's ProxyFix x_for). 0: forwarded headers are ignored and the peer address is the client.
    trusted_proxies: int = 0

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
        if env.get("HUB_LOG_FORMAT"):
            values["log_format"] = env["HUB_LOG_FORMAT"].strip().lower()
        if env.get("HUB_LOG_LEVEL"):
            values["log_level"] = env["HUB_LOG_LEVEL"].strip().upper()
        for name, kind in _RETENTION_SETTINGS.items():
            if env.get(f"HUB_{name.upper()}"):
                values[name] = kind(env[f"HUB_{name.upper()}"])
        if env.get("HUB_METRICS"):
            values["metrics_enabled"] = env["HUB_METRICS"].strip().lower() in ("1", "true", "yes", "on")
        if env.get("HUB_TRUSTED_PROXIES"):
            values["trusted_proxies"] = int(env["HUB_TRUSTED_PROXIES"])
        if env.get("HUB_METRICS_PORT"):
            values["metrics_port"] = int(env["HUB_METRICS_PORT"])
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]


# The retention settings read from HUB_<NAME> (e.g. HUB_RETENTION_EVENTS_DAYS), with their types.
_RETENTION_SETTINGS: dict[str, type] = {
    name: int if name == "retention_batch_rows" else float
    for name in Settings.__dataclass_fields__ if name.startswith("retention_")
}

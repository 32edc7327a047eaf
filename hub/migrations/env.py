"""Alembic environment: the URL comes from the hub's settings, the schema from hub.models."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from hub.db import normalize_url
from hub.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    """Run migrations on the configured database (or the connection handed in)."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(normalize_url(config.get_main_option("sqlalchemy.url")))
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(connection) -> None:  # noqa: ANN001
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()

"""The newest migration goes down and up again on each backend, leaving the schema the models describe."""

from __future__ import annotations

import secrets

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from hub.db import get_database
from hub.migrate import alembic_config
from hub.models import Base
from tests.conftest import BACKENDS, PG_URL, _run_schema_url


@pytest.fixture(params=BACKENDS)
def empty_database(request, tmp_path):
    """A database URL with nothing in it yet: a fresh SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    schema = f"hubmig_{secrets.token_hex(4)}"
    with get_database(PG_URL).engine.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    yield _run_schema_url(PG_URL, schema)
    with get_database(PG_URL).engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))


def _migrate(url: str, step, revision: str) -> None:  # noqa: ANN001
    config = alembic_config(url)
    with get_database(url).engine.begin() as connection:
        config.attributes["connection"] = connection
        step(config, revision)


def _downgrade_from_head(url: str, down_to: str) -> None:
    """Upgrade to head, then downgrade to down_to (the caller checks what is gone)."""
    _migrate(url, command.upgrade, "head")
    _migrate(url, command.downgrade, down_to)


def _assert_head_matches_models(url: str) -> None:
    """Upgrade back to head and check the schema is the one the models describe."""
    _migrate(url, command.upgrade, "head")
    with get_database(url).engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), Base.metadata)
    assert diff == []


def test_revision_0003_downgrades_to_0002_and_upgrades_again(empty_database):
    _downgrade_from_head(empty_database, "0002")
    engine = get_database(empty_database).engine
    assert "quarantined_records" not in inspect(engine).get_table_names()
    assert "health" not in {c["name"] for c in inspect(engine).get_columns("connections")}
    _assert_head_matches_models(empty_database)


def test_revision_0004_downgrades_to_0003_and_upgrades_again(empty_database):
    _downgrade_from_head(empty_database, "0003")
    engine = get_database(empty_database).engine
    assert "action_callbacks" not in inspect(engine).get_table_names()
    assert "timezone" not in {c["name"] for c in inspect(engine).get_columns("hubs")}
    _assert_head_matches_models(empty_database)

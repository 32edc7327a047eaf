"""Revision 0005 (orders): it creates the four order tables, drops them on downgrade, and head still
matches the models on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import inspect

from hub.db import get_database
from tests.test_migrations import _assert_head_matches_models, _downgrade_from_head, empty_database  # noqa: F401

ORDER_TABLES = {"orders", "order_lines", "order_status_changes", "order_deliveries"}


def test_revision_0005_downgrades_to_0004_and_upgrades_again(empty_database):  # noqa: F811
    _downgrade_from_head(empty_database, "0004")
    assert ORDER_TABLES.isdisjoint(inspect(get_database(empty_database).engine).get_table_names())
    _assert_head_matches_models(empty_database)
    assert ORDER_TABLES <= set(inspect(get_database(empty_database).engine).get_table_names())

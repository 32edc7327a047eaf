"""Insert-if-absent on PostgreSQL and SQLite: how a request claims a unique key.

A concurrent insert of the same key waits (PostgreSQL's unique index; SQLite's single writer)
until the first transaction ends: if it committed, this one finds the key taken; if it rolled
back, this one gets the key.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from hub.models import Base


def claim(session: Session, model: type[Base], **values: Any) -> bool:
    """Insert one row of `model` unless its primary key is taken; True when this call inserted it."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    key = [column.name for column in model.__table__.primary_key.columns]
    stmt = (dialect.insert(model).values(**values).on_conflict_do_nothing(index_elements=key)
            .returning(getattr(model, key[0])))
    return session.execute(stmt).scalar_one_or_none() is not None

"""When a connection was last polled successfully

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 01:40:00

One nullable column: hub_connection_last_poll_age_seconds reads it at scrape time. Existing
connections start with none (the metric counts from when they were added until their next poll).
"""

import sqlalchemy as sa
from alembic import op

import hub.models

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('connections') as batch_op:
        batch_op.add_column(sa.Column('last_polled_at', hub.models.UtcDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('connections') as batch_op:
        batch_op.drop_column('last_polled_at')

"""Retention: indexes to find old rows, and the per-hub mark of pruned event ids

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 01:30:00

hub.retention deletes old rows in bounded batches found through these indexes. The indexes are
created plainly, not CONCURRENTLY: hub.migrate runs every pending migration in one transaction
(engine.begin()), and CREATE INDEX CONCURRENTLY cannot run inside one (alembic's autocommit_block
would need transaction_per_migration and a runner that does not hold an outer transaction). A plain
CREATE INDEX blocks writes to its table while it builds: on a 1M-row events table that is a few
seconds (see the README's Retention paragraph); run the upgrade in a quiet moment.
"""

import sqlalchemy as sa
from alembic import op

import hub.models

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('event_retention_marks',
    sa.Column('hub_id', sa.String(length=40), nullable=False),
    sa.Column('pruned_through', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', hub.models.UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['hub_id'], ['hubs.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('hub_id')
    )
    op.create_index('ix_events_created_at', 'events', ['created_at'], unique=False)
    op.create_index('ix_action_runs_created_at', 'action_runs', ['created_at'], unique=False)
    op.create_index('ix_hook_deliveries_event_id', 'hook_deliveries', ['event_id'], unique=False)
    op.create_index('ix_hook_deliveries_created_at', 'hook_deliveries', ['created_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_hook_deliveries_created_at', table_name='hook_deliveries')
    op.drop_index('ix_hook_deliveries_event_id', table_name='hook_deliveries')
    op.drop_index('ix_action_runs_created_at', table_name='action_runs')
    op.drop_index('ix_events_created_at', table_name='events')
    op.drop_table('event_retention_marks')

"""Idempotency records scoped to the API key; vendor callback event ids

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 10:00:00.000000

The idempotency table is recreated rather than altered: its rows are a one-day replay cache, and
a row written before this revision cannot be attributed to the API key that sent it. A request
retried across the upgrade is therefore run again, as it would be after the day had passed.
"""

from alembic import op
import sqlalchemy as sa
import hub.models


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def _create_idempotency_records(key_scoped: bool) -> None:
    owner = [sa.Column('api_key_id', sa.String(length=40), nullable=False)] if key_scoped else []
    op.create_table('idempotency_records',
    *owner,
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('hub_id', sa.String(length=40), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('response_body', sa.JSON(), nullable=True),
    sa.Column('created_at', hub.models.UtcDateTime(timezone=True), nullable=False),
    *([sa.ForeignKeyConstraint(['api_key_id'], ['api_keys.id'], ondelete='CASCADE')] if key_scoped else []),
    sa.ForeignKeyConstraint(['hub_id'], ['hubs.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('api_key_id', 'key') if key_scoped else sa.PrimaryKeyConstraint('hub_id', 'key')
    )
    with op.batch_alter_table('idempotency_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idempotency_records_created_at'), ['created_at'], unique=False)
        if key_scoped:
            batch_op.create_index(batch_op.f('ix_idempotency_records_hub_id'), ['hub_id'], unique=False)


def upgrade() -> None:
    op.drop_table('idempotency_records')
    _create_idempotency_records(key_scoped=True)

    op.create_table('callback_events',
    sa.Column('connection_id', sa.String(length=40), nullable=False),
    sa.Column('event_id', sa.String(length=200), nullable=False),
    sa.Column('received_at', hub.models.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['connection_id'], ['connections.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('connection_id', 'event_id')
    )
    with op.batch_alter_table('callback_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_callback_events_received_at'), ['received_at'], unique=False)


def downgrade() -> None:
    op.drop_table('callback_events')
    op.drop_table('idempotency_records')
    _create_idempotency_records(key_scoped=False)

"""Quarantined vendor records; polling health of connections

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07 10:00:00.000000

Existing connections start healthy (health ok, no failures): the streak of a connection that is
failing at upgrade time begins with its next failed poll.
"""

from alembic import op
import sqlalchemy as sa
import hub.models


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('quarantined_records',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('hub_id', sa.String(length=40), nullable=False),
    sa.Column('connection_id', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('external_id', sa.String(length=200), nullable=True),
    sa.Column('raw', sa.JSON(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('purchase_id', sa.String(length=40), nullable=True),
    sa.Column('first_seen_at', hub.models.UtcDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', hub.models.UtcDateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', hub.models.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['connection_id'], ['connections.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['hub_id'], ['hubs.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('connection_id', 'kind', 'external_id')
    )
    with op.batch_alter_table('quarantined_records', schema=None) as batch_op:
        batch_op.create_index('ix_quarantined_records_hub_status', ['hub_id', 'status', 'last_seen_at'],
                              unique=False)

    with op.batch_alter_table('connections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('health', sa.String(length=20), server_default='ok', nullable=False))
        batch_op.add_column(sa.Column('failing_since', hub.models.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('consecutive_failures', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('last_fault', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('failing_announced', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('connections', schema=None) as batch_op:
        batch_op.drop_column('failing_announced')
        batch_op.drop_column('last_fault')
        batch_op.drop_column('consecutive_failures')
        batch_op.drop_column('failing_since')
        batch_op.drop_column('health')

    with op.batch_alter_table('quarantined_records', schema=None) as batch_op:
        batch_op.drop_index('ix_quarantined_records_hub_status')
    op.drop_table('quarantined_records')

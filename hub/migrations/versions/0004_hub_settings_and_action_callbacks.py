"""Hub time zone and currency; action outcome callbacks

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-14 10:00:00.000000

Existing hubs get the defaults (UTC, EUR); their callback signing secret is made when first needed.
"""

from alembic import op
import sqlalchemy as sa
import hub.models


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('hubs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('timezone', sa.String(length=64), server_default='UTC', nullable=False))
        batch_op.add_column(sa.Column('currency', sa.String(length=3), server_default='EUR', nullable=False))
        batch_op.add_column(sa.Column('callback_secret_encrypted', sa.Text(), nullable=True))

    op.create_table('action_callbacks',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('hub_id', sa.String(length=40), nullable=False),
    sa.Column('action_run_id', sa.String(length=40), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('last_status_code', sa.Integer(), nullable=True),
    sa.Column('next_attempt_at', hub.models.UtcDateTime(timezone=True), nullable=True),
    sa.Column('enqueued_at', hub.models.UtcDateTime(timezone=True), nullable=True),
    sa.Column('leased_until', hub.models.UtcDateTime(timezone=True), nullable=True),
    sa.Column('created_at', hub.models.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', hub.models.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['action_run_id'], ['action_runs.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['hub_id'], ['hubs.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('action_run_id')
    )
    with op.batch_alter_table('action_callbacks', schema=None) as batch_op:
        batch_op.create_index('ix_action_callbacks_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_action_callbacks_hub_id'), ['hub_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('action_callbacks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_action_callbacks_hub_id'))
        batch_op.drop_index('ix_action_callbacks_due')
    op.drop_table('action_callbacks')

    with op.batch_alter_table('hubs', schema=None) as batch_op:
        batch_op.drop_column('callback_secret_encrypted')
        batch_op.drop_column('currency')
        batch_op.drop_column('timezone')

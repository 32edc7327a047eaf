"""Orders to the POS: orders, their lines, status history and deliveries

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 00:06:47.279188

New tables only; nothing existing changes.
"""

from alembic import op
import sqlalchemy as sa
import hub.models


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('orders',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('hub_id', sa.String(length=40), nullable=False),
    sa.Column('connection_id', sa.String(length=40), nullable=False),
    sa.Column('location_id', sa.String(length=40), nullable=False),
    sa.Column('channel_order_id', sa.String(length=200), nullable=False),
    sa.Column('channel', sa.String(length=100), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('status_reason', sa.Text(), nullable=True),
    sa.Column('status_changed_at', hub.models.UtcDateTime(timezone=True), nullable=False),
    sa.Column('payment', sa.JSON(), nullable=False),
    sa.Column('total_amount', sa.String(length=32), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('customer_key', sa.String(length=200), nullable=True),
    sa.Column('pickup_at', hub.models.UtcDateTime(timezone=True), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('pos_order_id', sa.String(length=200), nullable=True),
    sa.Column('pos_state', sa.JSON(), nullable=False),
    sa.Column('stock_held', sa.Boolean(), nullable=False),
    sa.Column('pos_accepted', sa.JSON(), nullable=True),
    sa.Column('purchase_id', sa.String(length=40), nullable=True),
    sa.Column('feed_seq', sa.BigInteger(), nullable=False),
    sa.Column('created_at', hub.models.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', hub.models.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['connection_id'], ['connections.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['hub_id'], ['hubs.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['purchase_id'], ['purchases.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('hub_id', 'channel_order_id'),
    sa.UniqueConstraint('purchase_id')
    )
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index('ix_orders_connection_feed', ['connection_id', 'feed_seq'], unique=False)
        batch_op.create_index('ix_orders_connection_pos_order', ['connection_id', 'pos_order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_hub_id'), ['hub_id'], unique=False)

    op.create_table('order_deliveries',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('hub_id', sa.String(length=40), nullable=False),
    sa.Column('order_id', sa.String(length=40), nullable=False),
    sa.Column('connection_id', sa.String(length=40), nullable=False),
    sa.Column('operation', sa.String(length=10), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', hub.models.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', hub.models.UtcDateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('next_attempt_at', hub.models.UtcDateTime(timezone=True), nullable=True),
    sa.Column('enqueued_at', hub.models.UtcDateTime(timezone=True), nullable=True),
    sa.Column('leased_until', hub.models.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['connection_id'], ['connections.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['hub_id'], ['hubs.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('order_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_order_deliveries_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_order_deliveries_hub_id'), ['hub_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_order_deliveries_order_id'), ['order_id'], unique=False)

    op.create_table('order_lines',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('order_id', sa.String(length=40), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('sku', sa.String(length=100), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=True),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_price', sa.String(length=32), nullable=False),
    sa.Column('line_total', sa.String(length=32), nullable=False),
    sa.Column('modifiers', sa.JSON(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_lines_order_id'), ['order_id'], unique=False)

    op.create_table('order_status_changes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('order_id', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('at', hub.models.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('order_status_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_status_changes_order_id'), ['order_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('order_status_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_status_changes_order_id'))

    op.drop_table('order_status_changes')
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_lines_order_id'))

    op.drop_table('order_lines')
    with op.batch_alter_table('order_deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_deliveries_order_id'))
        batch_op.drop_index(batch_op.f('ix_order_deliveries_hub_id'))
        batch_op.drop_index('ix_order_deliveries_due')

    op.drop_table('order_deliveries')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_orders_hub_id'))
        batch_op.drop_index('ix_orders_connection_pos_order')
        batch_op.drop_index('ix_orders_connection_feed')

    op.drop_table('orders')

"""Key restrictions: allowed source networks, expiry, and the address of the last use

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 02:15:00
"""

import sqlalchemy as sa
from alembic import op

import hub.models

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('api_keys') as batch:
        batch.add_column(sa.Column('allowed_networks', sa.JSON(), nullable=True))
        batch.add_column(sa.Column('expires_at', hub.models.UtcDateTime(), nullable=True))
        batch.add_column(sa.Column('last_used_address', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('api_keys') as batch:
        batch.drop_column('last_used_address')
        batch.drop_column('expires_at')
        batch.drop_column('allowed_networks')

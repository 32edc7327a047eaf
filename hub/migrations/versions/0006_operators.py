"""Support console operators

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 01:10:00

A new table only; nothing existing changes.
"""

from alembic import op
import sqlalchemy as sa
import hub.models


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('operators',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('session_version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('disabled_at', hub.models.UtcDateTime(), nullable=True),
    sa.Column('last_sign_in_at', hub.models.UtcDateTime(), nullable=True),
    sa.Column('created_at', hub.models.UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('email')
    )


def downgrade() -> None:
    op.drop_table('operators')

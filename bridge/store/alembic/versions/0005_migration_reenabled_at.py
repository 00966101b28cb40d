"""migration_runs.reenabled_at: when the migrated integration passed the re-enable gate (M6)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bridge.store.types

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('migration_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reenabled_at', bridge.store.types.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('migration_runs', schema=None) as batch_op:
        batch_op.drop_column('reenabled_at')
